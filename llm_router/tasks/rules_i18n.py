"""Rules for requests in Spanish, German, French, Italian, Portuguese and Japanese:
``code``, ``reasoning`` and ``translation``.

Same conventions as :mod:`.rules`: patterns are lower case and run on the
lower-cased instruction, so accented letters are written both ways where users often
drop them (``ingl[eé]s``). Each label has an instruction verb family (weight ~3), and
the cues that carry a request without a verb: a target language ("al portugués:"),
"how do you say", an arrow between languages (``EN→DE``).
"""

from __future__ import annotations

from llm_router.tasks.rules import RuleRow

LANGS_I18N = (
    # Spanish
    r"ingl[eé]s|franc[eé]s|alem[aá]n|italiano|portugu[eé]s|japon[eé]s|chino|coreano|ruso|"
    r"arabe|árabe|neerland[eé]s|holand[eé]s|catal[aá]n|gallego|euskera|espa[nñ]ol|castellano|"
    r"griego|polaco|sueco|turco|"
    # German (with the endings of "ins Englische", "auf Deutsch")
    r"englisch\w*|franz[oö]sisch\w*|deutsch\w*|spanisch\w*|italienisch\w*|portugiesisch\w*|"
    r"japanisch\w*|chinesisch\w*|koreanisch\w*|russisch\w*|niederl[aä]ndisch\w*|polnisch\w*|"
    r"turkisch\w*|türkisch\w*|griechisch\w*|schwedisch\w*|"
    # French
    r"anglais|fran[cç]ais|allemand|espagnol|italien|portugais|japonais|chinois|cor[eé]en|"
    r"russe|n[eé]erlandais|polonais|grec|su[eé]dois|"
    # Italian
    r"inglese|francese|tedesco|spagnolo|portoghese|giapponese|cinese|olandese|polacco|greco|"
    r"svedese|"
    # Portuguese
    r"alem[aã]o|espanhol|chin[eê]s|holand[eê]s|polon[eê]s|grego"
)
"""Language names as written in the six languages (adjective forms included)."""

_LANGS_EN = (
    r"english|french|german|spanish|italian|portuguese|dutch|russian|chinese|mandarin|"
    r"japanese|korean|arabic|hindi|turkish|polish|swedish|norwegian|danish|finnish|greek|"
    r"hebrew|czech|ukrainian|vietnamese|thai|indonesian|catalan|romanian|hungarian"
)
_ANY_LANG = rf"(?:{_LANGS_EN}|{LANGS_I18N})"
_CODES = r"en|de|fr|es|it|pt|ja|jp|ko|zh|nl|ru|pl|sv|tr|el|ar"
_JA_LANGS = (
    r"(?:英語|日本語|中国語|韓国語|フランス語|ドイツ語|スペイン語|イタリア語|ポルトガル語|"
    r"ロシア語|タイ語|英文|和文)"
)
_PLEASE = (
    r"please|pls|bitte|por favor|porfa|s'il (?:te|vous) pla[iî]t|stp|svp|per favore|"
    r"perfavore|pf|obrigad[oa]"
)

TRANSLATION_I18N: tuple[RuleRow, ...] = (
    (
        "translation",
        "translate_i18n",
        3.0,
        "ask",
        r"\b(?:tradu\w+|trad\u00fa\w+|ubersetz\w*|\u00fcbersetz\w*|ubertrag\w*|\u00fcbertrag\w*|"
        r"\u00fcbertr\u00e4g\w*)|翻訳|訳して|訳す|"
        r"英訳|和訳|訳文|翻译|翻譯|译成|译为",
    ),
    (
        "translation",
        "how_to_say_i18n",
        3.0,
        "ask",
        r"\b(?:como|cómo) se (?:dice|escribe)\b|\b(?:como|cómo) (?:digo|le digo)\b|\bwie sagt man\b|"
        r"\bwie (?:hei[sß]t|schreibt man) .{1,50}\bauf\b|\bcomment (?:dit-on|on dit|dire)\b|"
        r"\bcome si (?:dice|scrive)\b|\bcome (?:dico|posso dire)\b|\bcomo (?:se )?(?:diz|fala|"
        r"escreve)\b|\bcomo (?:eu )?digo\b|(?:で|では)(?:なんて|何て|何と|なんと|どう)(?:言|い)",
    ),
    (
        "translation",
        "what_in_language",
        2.5,
        "ask",
        rf"\bwhat(?:'s|\u2019s| is| would be| would)\b.{{1,80}}?\bin (?:{_LANGS_EN})\b|"
        rf"\bhow (?:would|do|does|can|should|could) (?:a|an|you|i|we|one|people) "
        rf"(?:\w+ ){{0,2}}(?:say|write)\b",
    ),
    (
        "translation",
        "to_language_i18n",
        2.0,
        "ask",
        rf"(?:(?<=(?:al|en|in|no|em|ao|ns|uf|ch|rs|ro|ra|el|la|le|lo|il|as| o) )|(?<=l'))"
        rf"(?:{LANGS_I18N})\b|{_JA_LANGS}(?:に|で)",
    ),
    (
        "translation",
        "language_version",
        2.5,
        "ask",
        rf"\b(?:{_LANGS_EN}) (?:version|translation|subtitles?|subs|captions)\b|"
        rf"\bversi(?:on|[oó]n|one|[aã]o) (?:en|in|em|auf|na|de)\s+(?:{LANGS_I18N})\b|"
        r"\b(?:la )?version (?:anglaise|fran[cç]aise|allemande|espagnole|italienne|portugaise|"
        r"japonaise|chinoise|cor[eé]enne)\b|\bversione (?:inglese|francese|tedesca|spagnola|"
        r"portoghese|giapponese|cinese)\b|\bversi[oó]n (?:inglesa|francesa|alemana|italiana|"
        r"portuguesa|japonesa|china)\b|\bvers[aã]o (?:inglesa|francesa|alem[aã]|espanhola|"
        r"italiana|japonesa)\b|\b(?:englische|franz[oö]sische|deutsche|spanische|"
        r"italienische|japanische) (?:fassung|version|[uü]bersetzung)\b",
    ),
    (
        "translation",
        "language_arrow",
        3.0,
        "ask",
        rf"(?:→|->|=>|⇒)\s*(?:{_ANY_LANG}|{_CODES})\b|"
        rf"\b(?:del|vom|du|dall'|dal|from)\s+(?:{_ANY_LANG})\s+(?:al|ins|zum|vers l'|vers le|"
        rf"all'|al|para o|para|pro|to|into)\s*(?:{_ANY_LANG})\b|"
        rf"\b(?:do|da)\s+(?:{LANGS_I18N})\s+(?:para o|para|pro|all'|al)\s*(?:{_ANY_LANG})\b",
    ),
    (
        "translation",
        "bare_target",
        3.0,
        "ask",
        rf"^\W{{0,3}}(?:(?:in|into|to|auf|ins|en|al|para o|pro|em|in)\s+)?(?:{_ANY_LANG})"
        rf"(?:\s+(?:please|subs|subtitles|version))?(?:,?\s+(?:{_PLEASE}))?\s*[:.!]?\s*$|"
        rf"^\W{{0,3}}(?:in|into|auf|ins|en|al|para o|pro|em)\s+(?:{_ANY_LANG})\b.{{0,30}}"
        rf"(?:{_PLEASE})|^{_JA_LANGS}(?:に|で)(?:して|お願い|訳)|"
        rf"^\W{{0,3}}(?:(?:in|into|auf|ins|en|al|para o|pro|em)\s+)?(?:{_ANY_LANG})"
        rf"(?:,?\s+(?:{_PLEASE}))?\s*:",
    ),
)

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
        r"=\s*[-−]?\s*\d+(?:\s*[a-z])?(?:\s*[-+−]\s*\d+)?\s*$|\b[xyzn](?:²|³|\^\d)|"
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
