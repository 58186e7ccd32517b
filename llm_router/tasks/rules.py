"""Built-in detector rules for ``code``, plus the shared vocabulary of the rule tables.

Each rule is a general signal a reviewer can read: an instruction verb, a structural
cue (a code fence, a stack trace), a question shape. Weights: ~3 for an explicit
instruction, ~2 for a strong cue, ~1 for a hint that only helps break ties. Patterns
use bounded gaps (``.{0,60}``) and only bounded nested repetition, so no input can make them
backtrack catastrophically. The other labels' rules are in :mod:`.rules_reasoning`,
:mod:`.rules_text` and :mod:`.rules_creative`.
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
    # Body rules run on the turn prefixed with "\n"; "\n[ \t]*" stands for a line start
    # because a literal first character lets the regex engine skip ahead quickly.
    ("code", "fence", 2.0, "body", r"```"),
    (
        "code",
        "fence_lang",
        1.5,
        "body",
        rf"```[ \t]*(?:{PROGRAMMING}|py|js|ts|sh|c|cpp|go|java|rb|kt|cs|tsx|jsx|toml|xml)[ \t]*$",
    ),
    ("code", "def", 2.5, "body", r"\n[ \t]*(?:async[ \t]+)?def \w+ ?\("),
    ("code", "function_decl", 2.5, "body", r"function ?\w* ?\([^)\n]{0,80}\) ?\{"),
    (
        "code",
        "class_decl",
        2.0,
        "body",
        r"\n[ \t]*(?:(?:public|private|export) )?(?:class|interface|struct|enum) \w+ ?[:{(<]",
    ),
    (
        "code",
        "sql",
        2.5,
        "body",
        r"(?-i:\bSELECT\b[^;]{1,200}?\bFROM\b)|\b(?:insert into|create table|alter table|"
        r"inner join|left join)\b",
    ),
    (
        "code",
        "stack_trace",
        3.0,
        "body",
        r"traceback \(most recent call last\)|\n[ \t]+at [\w.$<>]+\([\w.]*:\d+\)|"
        r"(?:error|exception): |segmentation fault|core dumped",
    ),
    (
        "code",
        "shell",
        2.0,
        "body",
        r"\n[ \t]*\$ \w|(?:sudo |pip install|npm install|npm run|yarn add|apt-get|brew install|"
        r"git (?:commit|push|pull|rebase|merge|checkout|clone|stash|reset)|docker (?:run|build|"
        r"compose)|kubectl|chmod|grep -)",
    ),
    (
        "code",
        "syntax",
        1.5,
        "body",
        r"console\.log|system\.out|printf\(|#include ?<|\n[ \t]*import \w|"
        r"\n[ \t]*from [\w.]+ import |return [\w\[(]{1,40};|=> ?\{|self\.\w|var \w+ =|"
        r"let \w+ =|const \w+ =|\n[ \t]*(?:for|while|if) ?\(.{0,80}\) ?\{",
    ),
    (
        "code",
        "assignment",
        2.0,
        "body",
        r"\n[ \t]*[a-z_]\w* ?= ?(?:[\"'\[{(]|-?\d+[ \t]*$)|= ?\[[^\]\n]{0,80}\];?[ \t]*$",
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
    (
        "code",
        "language",
        1.5,
        "ask",
        rf"\b(?:{PROGRAMMING})(?![\w+#])|(?-i:\b(?:in|using|use|with) C\b)",
    ),
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
        "error_report",
        1.5,
        "ask",
        r"\b(?:fails?|failed|failing|crash(?:es|ed)?|throws?|raises?)\b.{0,30}?"
        r"\b(?:with|error|exception)\b",
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


def rows_to_rules(rows: tuple[RuleRow, ...]) -> tuple[Rule, ...]:
    """Turn compact table rows into :class:`Rule` objects."""
    return tuple(
        Rule(task, pattern, weight, name, scope) for task, name, weight, scope, pattern in rows
    )
