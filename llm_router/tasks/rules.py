"""Built-in detector rules for ``code``, ``reasoning`` and ``translation``.

Each rule is a general signal a reviewer can read: an instruction verb, a structural
cue (a code fence, a stack trace), a question shape. Weights: ~3 for an explicit
instruction, ~2 for a strong cue, ~1 for a hint that only helps break ties. Patterns
use bounded gaps (``.{0,60}``) and no nested quantifiers, so no input can make them
backtrack catastrophically. The other labels' rules are in :mod:`.rules_text`.
"""

from __future__ import annotations

from llm_router.tasks.model import Rule, Scope

RuleRow = tuple[str, str, float, Scope, str]
"""``(task, name, weight, scope, pattern)``: the compact form the tables are written in."""

LANGUAGES = (
    r"english|french|german|spanish|italian|portuguese|dutch|russian|chinese|mandarin|"
    r"cantonese|japanese|korean|arabic|hindi|turkish|polish|swedish|norwegian|danish|"
    r"finnish|greek|hebrew|czech|ukrainian|vietnamese|thai|indonesian|malay|persian|farsi|"
    r"urdu|bengali|swahili|latin|romanian|hungarian|catalan|tagalog|filipino|"
    r"simplified chinese|traditional chinese|"
    r"inglés|francés|alemán|chino|japonés|español|anglais|allemand|espagnol|chinois|"
    r"italien|englisch|deutsch|französisch|spanisch|chinesisch|italienisch"
)
"""Natural languages (English names plus common Spanish/French/German spellings)."""

PROGRAMMING = (
    r"python|javascript|typescript|java|c\+\+|c#|golang|rust|ruby|php|swift|kotlin|scala|"
    r"haskell|perl|bash|shell|powershell|sql|mysql|postgres(?:ql)?|sqlite|html|css|react|"
    r"node\.?js|django|flask|numpy|pandas|matlab|lua|dart|elixir|clojure|assembly|verilog|"
    r"dockerfile|docker|kubernetes|terraform|regex|jquery|vue|angular|spark"
)
"""Programming languages, data formats and tools whose presence makes a request ``code``."""

_ARTIFACT = (
    r"function|program|script|class|method|module|api|endpoint|query|queries|regex|"
    r"regular expression|algorithm|unit tests?|test cases?|code|snippet|web ?page|"
    r"html|css|component|dockerfile|makefile|command|one-liner|loop|procedure|"
    r"stored procedure|trigger|schema|migration|decorator|constructor|interface|struct|"
    r"linked list|binary tree|data structure|sorting|recursion|implementation"
)

CODE_RULES: tuple[RuleRow, ...] = (
    ("code", "fence", 2.0, "body", r"^\s*```"),
    (
        "code",
        "fence_lang",
        1.5,
        "body",
        rf"^\s*```\s*(?:{PROGRAMMING}|py|js|ts|sh|c|cpp|go|java|rb|kt|cs|tsx|jsx|toml|xml)\s*$",
    ),
    ("code", "def", 2.5, "body", r"^\s*(?:async\s+)?def \w+\s*\("),
    ("code", "function_decl", 2.5, "body", r"\bfunction\s*\w*\s*\([^)\n]{0,80}\)\s*\{"),
    (
        "code",
        "class_decl",
        2.0,
        "body",
        r"^\s*(?:public\s+|private\s+|export\s+)?(?:class|interface|struct|enum)\s+\w+\s*[:{(<]",
    ),
    ("code", "sql", 2.5, "body", r"(?-i:\bSELECT\b[^;]{1,200}?\bFROM\b)|\b(?:insert into|create table|alter table|inner join|left join)\b"),
    (
        "code",
        "stack_trace",
        3.0,
        "body",
        r"Traceback \(most recent call last\)|^\s+at [\w.$<>]+\([\w.]*:\d+\)|"
        r"^\s*(?:\w+\.)*\w+(?:Error|Exception): |\bsegmentation fault\b|\bcore dumped\b",
    ),
    (
        "code",
        "shell",
        2.0,
        "body",
        r"^\s*\$ \w|\b(?:sudo|pip install|npm (?:install|run)|yarn add|apt-get|brew install|"
        r"git (?:commit|push|pull|rebase|merge|checkout|clone|stash|reset)|docker (?:run|build|compose)|"
        r"kubectl|chmod|grep -)\b",
    ),
    (
        "code",
        "syntax",
        1.5,
        "body",
        r"console\.log|System\.out|printf\(|#include\s*<|^\s*import \w+|^\s*from [\w.]+ import |"
        r"\breturn [\w\[(]{1,40};|\w+\s*=\s*\[[^\]\n]{0,80}\];?\s*$|=>\s*\{|\bself\.\w+|"
        r"\bvar \w+ =|\blet \w+ =|\bconst \w+ =|^\s*(?:for|while|if)\s*\(.{0,80}\)\s*\{",
    ),
    (
        "code",
        "write_code",
        3.0,
        "ask",
        r"\b(?:write|create|implement|generate|build|develop|code|design|complete|finish|"
        r"fill in|construct|make|define|give me|provide|show me)\b.{0,60}?\b"
        rf"(?:{_ARTIFACT})s?\b",
    ),
    ("code", "language", 1.5, "ask", rf"\b(?:{PROGRAMMING})(?![\w+#])|(?-i:\b(?:in|using|use|with) C\b)"),
    (
        "code",
        "this_code",
        2.5,
        "ask",
        r"\b(?:this|the following|my|the above|the given|that)\s+(?:[\w+#]+\s+)?(?:code|snippet|"
        r"script|function|program|query|regex|class|method|loop|stack ?trace|traceback)\b",
    ),
    (
        "code",
        "lead_verb",
        2.0,
        "ask",
        r"^\W{0,3}(?:please\s+)?(?:implement|print|output|debug|refactor|compile|code up)\b",
    ),
    (
        "code",
        "assignment",
        2.0,
        "body",
        r"^\s*[a-z_]\w*\s*=\s*[\"'\[{(]|^\s*[a-z_]\w*\s*=\s*-?\d+\s*$",
    ),
    (
        "code",
        "io_spec",
        1.5,
        "ask",
        r"\breturns? (?:the|a|an|its|true|false|none|null|-1|0)\b|\binput\b.{0,80}?\boutput\b|"
        r"\b(?:takes|accepts) (?:a|an|two|one) (?:\w+ )?(?:arguments?|parameters?|inputs?)\b",
    ),
    (
        "code",
        "how_to_in_language",
        2.0,
        "ask",
        rf"\bhow (?:to|do i|can i|do you|would you)\b.{{0,80}}?\b(?:in|using|with) "
        rf"(?:{PROGRAMMING})(?![\w+#])",
    ),
    (
        "code",
        "programming_terms",
        1.0,
        "ask",
        r"\b(?:array|arrays|integers?|string|strings|substring|linked list|binary (?:search|tree)|"
        r"hash ?map|dictionary|variable|boolean|compile|compiler|debug|refactor|syntax error|"
        r"runtime error|null pointer|pointer|database|index out of|time complexity|big-o|"
        r"input|output|returns?|parameters?|arguments?|repository|commit|merge conflict|"
        r"library|framework|deploy|server|frontend|backend|endpoint|for loop|while loop|loops?|"
        r"lambda|callback|iterator|exception|permutations?)\b",
    ),
    (
        "code",
        "fix_code",
        3.0,
        "ask",
        r"\b(?:fix|debug|refactor|optimi[sz]e|review|explain|understand|document|comment|test|"
        r"speed up|what does|why does|what is wrong with|what's wrong with)\b.{0,40}?"
        r"\b(?:this|my|the following|the|these|that)\s+(?:\w+\s+)?(?:code|function|script|"
        r"query|program|snippet|regex|class|method|error|bug|stack ?trace|traceback|"
        r"exception|command|pipeline|dockerfile|config)\b",
    ),
    (
        "code",
        "convert_code",
        3.0,
        "ask",
        rf"\b(?:translate|convert|port|rewrite|migrate|transpile)\b.{{0,60}}?\b(?:to|into|in)\s+"
        rf"(?:{PROGRAMMING})\b",
    ),
    (
        "code",
        "convert_format",
        3.0,
        "ask",
        r"\b(?:json|yaml|xml|csv|toml|ini)\b.{0,30}?\b(?:to|into)\s+(?:json|yaml|xml|csv|toml|ini)\b",
    ),
    (
        "code",
        "non_english",
        3.0,
        "ask",
        r"\b(?:escribe|escriba|écris|écrivez|écrire|schreibe|schreib|implementa|implémente|"
        r"implementiere)\b.{0,40}?\b(?:función|funcion|fonction|funktion|programa|programme|"
        r"programm|script|skript|código|klasse|clase)\b|代码|代碼|函数|函數|编写.{0,10}程序|写.{0,6}程序|脚本",
    ),
)

QUANTITY_QUESTION = (
    r"\bhow (?:many|much|long|old|far|fast|often|high|tall|heavy)\b|"
    r"\bwhat(?:'s|’s| is| was| will be| would be| are| were) (?:the |his |her |their |its |my )?"
    r"(?:[\w'’-]+ ){0,2}?"
    r"(?:total|average|sum|percentage|probability|value|cost|price|area|perimeter|speed|"
    r"remainder|ratio|result|amount|profit|age|final|net|combined|mean|score|weight|"
    r"number|\w+ (?:score|price|cost|weight|speed|pension|salary|profit))\b|"
    r"\bwhat percent|\b(?:calculate|compute|find|determine) (?:the|her|his|their|its|how)\b"
)
"""A question asking for a quantity; with two or more numbers it makes a word problem."""

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
        r"\b(?:calculate|compute|work out|add up)\b|\b(?:the )?(?:average|mean|median|sum|total) "
        r"of (?:the|these|all|their)\b",
    ),
    (
        "reasoning",
        "math_expression",
        2.0,
        "ask",
        r"\d\s*[-+*/^×÷]\s*\d|\d\s*=\s*\d|\b[a-z]\s*\^\s*\d|\b[a-z]\s*=\s*-?\d*[a-z]\b|"
        r"\b[fgh]\([a-z0-9]\)|\bd[a-z]/d[a-z]\b|\bsqrt\(|√",
    ),
    (
        "reasoning",
        "quantity_question",
        1.5,
        "ask",
        QUANTITY_QUESTION,
    ),
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
        r"cuántos|cuántas|cuánto|combien|wie viele|wie viel|probabilidad|probabilité|"
        r"wahrscheinlichkeit)\b|计算|算一算|多少|求解|证明|概率",
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


def rows_to_rules(rows: tuple[RuleRow, ...]) -> tuple[Rule, ...]:
    """Turn compact table rows into :class:`Rule` objects."""
    return tuple(Rule(task, pattern, weight, name, scope) for task, name, weight, scope, pattern in rows)
