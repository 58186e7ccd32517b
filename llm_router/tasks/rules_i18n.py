"""Rules for requests in Spanish, German, French, Italian, Portuguese and Japanese:
``code`` and ``reasoning``, plus the language-neutral cues of both (tool names, code
tokens such as ``file.py`` or a backticked command, equations, number sequences).

Same conventions as :mod:`.rules`: patterns are lower case and run on the lower-cased
instruction, so accented letters are written both ways where users often drop them.
Each label has an instruction verb family (weight ~3) and weaker cues (~2).
"""

from __future__ import annotations

from llm_router.tasks.rules import RuleRow

CODE_I18N: tuple[RuleRow, ...] = (
    (
        "code",
        "write_code_i18n",
        3.0,
        "ask",
        r"\b(?:escrib\w*|hazme|haz|crea|creame|créame|implementa|necesito|quiero|schreib\w*|"
        r"erstell\w*|implementier\w*|brauche|ecri\w*|écri\w*|cree|crée|implemente|implémente|"
        r"genere|génère|scriv\w*|mi serve|voglio|escrev\w*|cria|crie|faca|faça|preciso)\b"
        r".{0,50}?\b(?:funcion|función|fonction|funktion|funzione|funcao|função|codigo|código|"
        r"codice|programa|"
        r"programm|programme|programma|script|skript|consulta|abfrage|requete|requête|query|"
        r"expresion regular|expresión regular|regularen ausdruck|regulären ausdruck|expression "
        r"reguliere|expression régulière|espressione regolare|expressao regular|expressão "
        r"regular|regex|klasse|clase|classe|metodo|método|methode|tests? unitari\w*|tests? "
        r"unitaires?|unit-?tests?|pruebas unitarias|testes unitarios|testes unitários)"
        r"\b|(?:コード|関数|スクリプト|プログラム|クエリ|正規表現|テスト)を?(?:書|作|実装)",
    ),
    (
        "code",
        "fix_code_i18n",
        3.0,
        "ask",
        r"\b(?:corrige|corrigelo|corrígelo|arregla|depura|refactoriza|optimiza|korrigier\w*|"
        r"behebe|repariere|debugge|refaktorier\w*|optimier\w*|corrigez|debogue|débogue|"
        r"refactorise|optimise|correggi|sistema|ottimizza|corrija|arrume|arruma|conserta|"
        r"refatore|otimize|lesbarer|legible|lisible|leggibile|legivel|legível)\b|(?:コード|バグ|エラー|関数)を?(?:直|修正)|"
        r"書き換え|リファクタ",
    ),
    (
        "code",
        "code_terms_i18n",
        1.5,
        "ask",
        r"\b(?:funcion|función|fonction|funktion|funzione|funcao|função|codigo|código|codice|"
        r"skript|bucle|schleife|boucle|ciclo|laco|laço|variable|variabile|variavel|variável|"
        r"compil\w*|fehlermeldung|mensaje de error|message d'erreur|messaggio di errore|"
        r"mensagem de erro|me sale (?:este|esto|un) error|da error|da erro|dá erro|dà errore)\b|"
        r"コード|関数|"
        r"エラー|スクリプト|プログラム|コンパイル|バグ",
    ),
    (
        "code",
        "use_language",
        3.0,
        "ask",
        r"\b(?:python|java|javascript|typescript|golang|rust|ruby|php|kotlin|swift|scala|bash|"
        r"sql)\s+to\s+(?:solve|write|implement|answer|compute|calculate|build|generate|print|"
        r"find)\b|(?-i:\b(?:C\+\+|C#|Go)\s+to\s+(?:solve|write|implement|answer|compute|"
        r"calculate|build|generate|print|find)\b)",
    ),
    (
        "code",
        "tools",
        2.0,
        "ask",
        r"\b(?:git|github|gitlab|kubectl|k8s|helm|crontab|cron|awk|sed|grep|jq|nginx|apache2?|vba|"
        r"excel macros?|makros?|macros? (?:in|for) excel|"
        r"makefile|cmake|gradle|maven|npm|pnpm|pip|conda|venv|virtualenv|powershell|typescript|"
        r"webpack|vite|eslint|pytest|jest|junit|xunit|docker-compose|compose file|systemd|"
        r"ssh|scp|rsync|curl|wget|openssl|vim|emacs|vs ?code|postgresql|redis|mongodb|"
        r"elasticsearch|kafka|graphql|fastapi|express|spring boot|laravel|rails|pandas|"
        r"dataframe|jupyter|github actions|ci pipeline|one-?liner|oneliner|linux command|"
        r"terminal command|command line|requirements\.txt|package\.json|ambiente virtual|"
        r"virtual environment|entorno virtual)\b",
    ),
    (
        "code",
        "code_tokens",
        2.0,
        "ask",
        r"`[^`\n]{2,80}`|\.(?:py|js|ts|tsx|jsx|java|go|rs|rb|php|cs|cpp|sh|ps1|yml|yaml|toml|sql|"
        r"ini|conf|cfg|log|lock|env)\b|\.(?:csv|json|log|txt) (?:files?|dateien|archivos|"
        r"fichiers|file)\b|/(?:var|etc|usr|home|opt|tmp|mnt|srv)/|_\w*\(|"
        r" --?[a-z][a-z-]{1,20}\b|\b(?:http|exit|status) (?:code )?[45]\d\d\b|"
        r"\b(?:502|503|500|404) (?:bad gateway|error|not found)\b",
    ),
)

REASONING_I18N: tuple[RuleRow, ...] = (
    (
        "reasoning",
        "solve_i18n",
        3.0,
        "ask",
        r"\b(?:calcul[ae]|calcular|calculez|calcola|calcolare|calcule|resuelve|resolver|"
        r"resous|résous|resoudre|résoudre|risolvi|risolvere|resolva|resolve|demuestra|"
        r"demostrar|demontre[rz]?|démontre[rz]?|dimostra|dimostrare|demonstre|prove que|"
        r"prouve[rz]? que|berechne\w*|lose die|löse die|beweise?)\b|証明|求めて|求めよ|求めなさい|"
        r"計算して|解いて",
    ),
    (
        "reasoning",
        "probability_i18n",
        2.5,
        "ask",
        r"\b(?:probabilidad|wahrscheinlichkeit|probabilit[eéà]|probabilidade|chance (?:of|that)|"
        r"odds (?:of|that|are))\b|確率",
    ),
    (
        "reasoning",
        "equation",
        2.5,
        "ask",
        r"=\s*[-\u2212]?\s*\d+(?:\s*[a-z])?(?:\s*[-+\u2212]\s*\d+)?\s*$|\b[xyzn](?:²|³|\^\d)|"
        r"\bd/d[a-z]\b|∫",
    ),
    (
        "reasoning",
        "unknown_value",
        2.5,
        "ask",
        r"(?:→|->)[^\n?]{0,30}\?|=\s*\?|\?\s*(?:days|hours|minutes|km|kg|€|\$)\b",
    ),
    (
        "reasoning",
        "sequence",
        2.5,
        "ask",
        r",\s*(?:…|\.\.\.)\s*(?:next|\?)|\bwhat comes next\b|\bnext (?:number|term)\b|"
        r"\bis \d+ (?:a )?prime\b|\bcan (?:we|you|i) conclude\b|\bmust (?:it|some|all) be\b",
    ),
    (
        "reasoning",
        "unit_count",
        2.0,
        "ask",
        r"\bhow many (?:seconds|minutes|hours|days|weeks|months|years|litres|liters|metres|"
        r"meters|grams|kilos|km|miles|feet|inches|cups|ounces|centimetres|centimeters) "
        r"(?:are )?(?:there )?(?:in|does|do|has|have)\b|\bwie viele (?:sekunden|minuten|"
        r"stunden|tage|wochen|monate|jahre|liter|meter|gramm) (?:hat|haben|sind|gibt)\b|"
        r"\b(?:cuantos|cuántos|cuantas|cuántas) (?:segundos|minutos|horas|d[ií]as|semanas|"
        r"meses|litros|metros|gramos) (?:hay|tiene)\b|\bcombien de (?:secondes|minutes|heures|"
        r"jours|semaines|mois|litres|m[eè]tres|grammes) (?:dans|y a-t-il|il y a)\b|"
        r"\b(?:quanti|quante) (?:secondi|minuti|ore|giorni|settimane|mesi|litri|metri|grammi) "
        r"(?:ci sono|ha|hanno)\b|\b(?:quantos|quantas) (?:segundos|minutos|horas|dias|semanas|"
        r"meses|litros|metros|gramas) (?:tem|t[eê]m|h[aá])\b",
    ),
    (
        "reasoning",
        "check_math",
        2.5,
        "ask",
        r"\b(?:is|are) the (?:total|totals|sum|math|maths|figures|numbers) (?:right|correct)\b|"
        r"\bcheck (?:the )?(?:math|maths|totals?|sums?|calculation|arithmetic)\b|\badd(?:ed)? "
        r"(?:this|it|that) up (?:right|correctly)\b|\b(?:did|do) (?:they|the numbers) add up\b",
    ),
    (
        "reasoning",
        "estimate",
        2.0,
        "ask",
        r"\b(?:estimate|back[- ]of[- ](?:the[- ])?envelope|fermi|ballpark|rough estimate|"
        r"roughly (?:how|what)|schätze|estima|estime|stima)\b",
    ),
    (
        "reasoning",
        "logic",
        2.5,
        "ask",
        r"\bdoes it follow\b|\b(?:is|was) (?:this|the) (?:argument|reasoning|syllogism) "
        r"(?:valid|sound)\b|\bif all \w+ are\b|\bwho (?:sits|is sitting|stands) (?:in the middle|"
        r"next to)\b|\bknights?\b.{0,20}\bknaves?\b|\bmislabel\w*\b|\b(?:etiquetas|etichette|"
        r"etiketten|[eé]tiquettes) (?:est[aá]n|sono|sind|sont) (?:mal|sbagliate|falsch|fausses)"
        r"|\bindovinello logico\b|\bacertijo\b|\bl[oó]gica\b.{0,20}\bacertijo\b",
    ),
)
