"""Built-in detector rules for ``reasoning`` and ``translation``.

Same conventions as :mod:`.rules`. A word problem is recognised in two steps: the
``quantity_question`` rule here, and a check in :mod:`._text` that the question closes
the turn and at least two numbers come with it.
"""

from __future__ import annotations

from llm_router.tasks.rules import LANGUAGES, RuleRow

QUANTITY_QUESTION = (
    r"\bhow (?:many|much|long|old|far|fast|often|high|tall|heavy)\b|"
    r"\bwhat(?:'s|\u2019s| is| was| will be| would be| are| were) "
    r"(?:the |his |her |their |its |my )?"
    r"(?:[\w'\u2019-]+ ){0,2}?"
    r"(?:total|average|sum|percentage|probability|value|cost|price|area|perimeter|speed|"
    r"remainder|ratio|result|amount|profit|age|final|net|combined|mean|score|weight|"
    r"number|\w+ (?:score|price|cost|weight|speed|pension|salary|profit))\b|"
    r"\bwhat percent|\b(?:calculate|compute|find|determine) (?:the|her|his|their|its|how)\b|"
    r"\bwhat time\b|\bwhen does\b.{0,40}\bcatch up\b|\bwhat(?:'s|\u2019s| is| will be) "
    r"(?:the|my|our|his|her|their) (?:bill|change|answer|difference|balance|share)\b|"
    r"\b(?:total|sum|average|price|cost|area|surface area|volume|speed|profit|change)\s*\?"
)
"""A question asking for a quantity; with two or more numbers it makes a word problem."""

QUANTITY_I18N = (
    r"\b(?:cuanto|cuánto|cuantos|cuántos|cuanta|cuánta|cuantas|cuántas|en cuanto tiempo|"
    r"en cuánto tiempo|a que hora|a qué hora)\b|"
    r"\bwie (?:viele?|lange|weit|schnell|hoch|alt|gro[sß])\b|\bwas kostet\b|"
    r"\bcombien\b|\bquel(?:le)? est (?:le|la|son|sa) (?:prix|vitesse|distance|aire|surface|"
    r"moyenne|total)\b|\ba quelle heure\b|\bà quelle heure\b|"
    r"\b(?:quanto|quanta|quanti|quante|quantos|quantas)\b|"
    r"\bqual (?:e|è) (?:la|il) (?:sua )?(?:velocita|velocità|"
    r"prezzo|distanza|media|area)\b|\ba che ora\b|"
    r"\bqual (?:foi|e|é|sera|será) (?:o|a) (?:preco|preço|velocidade|crescimento|media|média|"
    r"area|área|total)\b|\ba que horas\b|\bem quanto tempo\b|"
    r"いくら|合計|何(?:km|キロ|メートル|cm|時間|通り|[個人円分日倍回本枚時])"
)
"""The same kind of question in Spanish, German, French, Italian, Portuguese, Japanese."""

REASONING_RULES: tuple[RuleRow, ...] = (
    (
        "reasoning",
        "solve",
        3.0,
        "ask",
        r"^\W{0,3}(?:please\s+)?(?:solve|calculate|compute|simplify|prove|derive|"
        r"evaluate the (?:integral|expression|limit|derivative|sum)|"
        r"estimate|determine the (?:value|number)|find the (?:value|area|sum|product|"
        r"derivative|integral|limit|probability|number|remainder|equation|solution|maximum|"
        r"minimum|roots?|antiderivative|volume|perimeter|average|mean|median))\b",
    ),
    (
        "reasoning",
        "math_terms",
        1.5,
        "ask",
        r"\b(?:equations?|integral|derivative|antiderivative|probability|theorem|prime numbers?|"
        r"factorial|remainder|divisible|inequality|polynomial|logarithm|percentages?|"
        r"ratio|fractions?|conjecture|proof|prove|arithmetic|algebra|geometry|calculus|"
        r"dice|coin flips?|expected value|odds)\b",
    ),
    (
        "reasoning",
        "compute",
        2.0,
        "ask",
        r"\b(?:calculate|compute|work out|add up)\b|\b(?:average|mean|median|sum|total) "
        r"of (?:the|these|all|their)\b",
    ),
    ("reasoning", "math_expression", 2.0, "ask", r"[\d)]\s*(?:[-+*/^\u00d7\u00f7=]|% of)\s*[\d(]"),
    (
        "reasoning",
        "math_notation",
        2.0,
        "ask",
        r"\^\s*\d|\bsqrt\(|√|\bf\([a-z0-9]\) ?=|\bdy/dx\b",
    ),
    (
        "reasoning",
        "quantity_question",
        1.0,
        "ask",
        QUANTITY_QUESTION,
    ),
    ("reasoning", "quantity_i18n", 1.0, "ask", QUANTITY_I18N),
    (
        "reasoning",
        "logic_puzzle",
        2.0,
        "ask",
        r"\b(?:puzzle|clues?|logic(?:al|ally)?|deduce|deduction|syllogism|premises?|"
        r"true, false, or uncertain|sitting (?:to the|opposite|between|next to)|"
        r"relationship between [a-z] and [a-z]\b|does not belong|odd one out|"
        r"solve (?:this|the|a) riddle|brain ?teaser)\b",
    ),
    (
        "reasoning",
        "show_work",
        1.0,
        "ask",
        r"\bstep[- ]by[- ]step\b|\bshow (?:your|the) (?:work|reasoning|steps)\b|"
        r"\bexplain your (?:answer|reasoning)\b|\bjustify\b",
    ),
    (
        "reasoning",
        "non_english",
        2.5,
        "ask",
        r"\b(?:calcula|calcular|calcule[rz]?|berechne|berechnen|löse|resuelve|résous|résoudre|"
        r"probabilidad|probabilité|wahrscheinlichkeit)\b|计算|算一算|求解|证明|概率",
    ),
)

TRANSLATION_RULES: tuple[RuleRow, ...] = (
    ("translation", "translate", 2.0, "ask", r"\btranslat(?:e|ing)\b"),
    (
        "translation",
        "to_language",
        2.5,
        "ask",
        rf"\b(?:translat\w*|render|put|say|convert|rewrite|turn)\b.{{0,120}}?\b(?:in|into|to)\s+"
        rf"(?:{LANGUAGES})\b",
    ),
    (
        "translation",
        "language_pair",
        1.5,
        "ask",
        rf"\bfrom\s+(?:{LANGUAGES})\s+(?:in)?to\s+(?:{LANGUAGES})\b|"
        rf"\b(?:{LANGUAGES})\s*(?:->|→|to)\s*(?:{LANGUAGES})\s+translation\b",
    ),
    ("translation", "how_to_say", 2.5, "ask", r"\bhow (?:do|would|can|should) (?:you|i|we) say\b"),
    (
        "translation",
        "localise",
        2.0,
        "ask",
        r"\btranslat\w*\b.{0,40}?\b(?:comments|strings|labels|subtitles|captions|ui text)\b",
    ),
    (
        "translation",
        "non_english",
        3.0,
        "ask",
        r"\b(?:traduce|traducir|tradúcelo|tradúceme|traduis|traduisez|traduire|traduza|"
        r"traduzir|tradurre|traduci|übersetze|übersetzen|übersetz\w*)\b|翻译|翻譯|译成|译为|"
        r"翻成|翻訳|번역",
    ),
)
