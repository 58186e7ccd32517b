"""Built-in detector rules for ``summarization`` and ``extraction``.

Same conventions as :mod:`.rules`. Cues that sit at the very end of a turn ("Summary:",
"Stars:") are ``tail`` rules; "summary" as the given material ("matches this summary")
does not count as a request for one.
"""

from __future__ import annotations

from llm_router.tasks.rules import RuleRow

SUMMARIZATION_RULES: tuple[RuleRow, ...] = (
    (
        "summarization",
        "summarize",
        3.0,
        "ask",
        r"\b(?:summari[sz]e|summari[sz]ing|sum up|sum it up|sum the following|to sum up|"
        r"recap|condense|distill|synthesi[sz]e)\b",
    ),
    (
        "summarization",
        "write_summary",
        3.0,
        "ask",
        r"\b(?:write|give|generate|provide|produce|make|create|need|want|edit)\b"
        r"(?:\s+(?!(?:for|from|about|of|on|that|this|these|with|to|the following|given)\b)"
        r"[\w'\u2019,-]+){0,4}?\s+(?:summary|synopsis|abstract|overview|précis)\b",
    ),
    (
        "summarization",
        "summary_cue",
        2.5,
        "tail",
        r"\b(?:summary|abstract|in short|tl;?dr)\s*:\s*\Z",
    ),
    (
        "summarization",
        "summary_word",
        1.0,
        "ask",
        r"\b(?:summary|synopsis)\b(?<!this summary)(?<!following summary)(?<!given summary)"
        r"(?<!the summary)",
    ),
    ("summarization", "tl;dr", 3.0, "ask", r"\btl;? ?dr\b"),
    (
        "summarization",
        "key_points",
        2.5,
        "ask",
        r"\b(?:key|main|important) (?:points|takeaways|ideas|facts|messages?)\b|\bgist\b|"
        r"\bin a nutshell\b|\bboils? down to\b|\bin layman'?s terms\b",
    ),
    (
        "summarization",
        "brevity",
        1.5,
        "ask",
        r"\bin (?:one|a single|two|2|3|three|a few|\d+) (?:sentences?|lines?|words|bullets?|"
        r"bullet points)\b|\bin brief\b|\bbriefly\b|\bshorter\b|\bshorten\b|\bconcise\b|"
        r"\bmore concise\b",
    ),
    (
        "summarization",
        "headline_for_text",
        2.5,
        "ask",
        r"\b(?:title|headline)\b.{0,30}?\b(?:for|of) (?:this|the|the following|the above|"
        r"given|that) (?:\w+ )?(?:article|text|paragraph|passage|document|story|post|email)\b",
    ),
    (
        "summarization",
        "what_they_want",
        2.0,
        "ask",
        r"\bwhat (?:does|do|did) (?:she|he|they|this person|my \w+) (?:want|mean|ask)\b",
    ),
    (
        "summarization",
        "non_english",
        3.0,
        "ask",
        r"\b(?:resumir|resume (?:este|esta|el|la|los|las)|resúmelo|resúmeme|resumen|"
        r"résume[rz]?|résumé (?:de|du)|zusammenfass\w*|fasse\b.{0,60}?\bzusammen|"
        r"riassumi|riassunto|resumo)\b|总结|總結|摘要|概括|概要|要点|要約|まとめ",
    ),
)

EXTRACTION_RULES: tuple[RuleRow, ...] = (
    ("extraction", "extract", 2.5, "ask", r"\bextract(?!\w* the answers?\b)\w*\b|\bpull out\b"),
    (
        "extraction",
        "structured_output",
        2.0,
        "ask",
        r"\b(?:as|in|into|to|return|output) (?:a |an |the )?(?:valid )?(?:json|csv|table|"
        r"key[- ]value pairs)\b|\b(?:json|csv) (?:format|object|array|string|dictionary)\b|"
        r"\bin the format of\b|\boutput in (?:the )?format\b",
    ),
    (
        "extraction",
        "classify",
        2.5,
        "ask",
        r"\b(?:classify|categori[sz]e|label)\b|\btag (?:each|every|these|this|the|them|it|all|"
        r"my|our|with|as)\b|\bassign (?:it|them|each|this)\b",
    ),
    (
        "extraction",
        "label_set",
        2.5,
        "ask",
        r"\b(?:what|which) (?:\w+ )?(?:label|category|class|topic|section|descriptor)s?\b|"
        r"\bcategor(?:y|ies)\b|\bdescriptors?\b|\bpick one\b|"
        r"\bwhich (?:of the following )?(?:sections?|categories)\b",
    ),
    (
        "extraction",
        "sentiment",
        3.0,
        "ask",
        r"\bsentiment\b|\bpositive,? or negative\b|\b(?:tone|emotion|intent|polarity) "
        r"(?:of|expressed)\b|\bspam or not\b|\bis this (?:email |message )?spam\b",
    ),
    (
        "extraction",
        "rating",
        1.5,
        "ask",
        r"\b(?:rating|star rating|stars?|rate (?:it|this|them|the))\b|★|\bon a scale of\b",
    ),
    ("extraction", "review", 1.0, "ask", r"\breviews?\b|\breviewer\b"),
    (
        "extraction",
        "label_cue",
        2.5,
        "tail",
        r"\b(?:rating|stars|score|sentiment|category|label|topic|class)\s*[:?]\s*\Z",
    ),
    (
        "extraction",
        "entities",
        2.5,
        "ask",
        r"\bnamed entit\w+|\bentities\b|\bpart[- ]of[- ]speech\b|\bpos tags?\b|\bner\b",
    ),
    (
        "extraction",
        "find_fields",
        2.0,
        "ask",
        r"\b(?:identify|list|find|get|collect|pull) (?:all|every|the|each)\b.{0,50}?"
        r"\b(?:names?|dates?|emails?|addresses|phone numbers?|prices?|entit(?:y|ies)|people|"
        r"persons?|places?|organi[sz]ations?|compan(?:y|ies)|countr(?:y|ies)|capitals?|"
        r"fields?|keywords?|variables?|amounts?|figures?|values?)\b.{0,40}?"
        r"\b(?:in|from|mentioned)\b",
    ),
    (
        "extraction",
        "choice_list",
        2.0,
        "tail",
        r"\b\w+(?:, [\w ]{1,30}){2,10},? or [\w ]{1,30}\?\s*$",
    ),
    (
        "extraction",
        "non_english",
        3.0,
        "ask",
        r"\b(?:extrae|extraer|extrais|extraire|extrahiere|extrahieren|clasifica|clasificar|"
        r"classifie[rz]?|klassifiziere)\b|提取|抽取|分类|分類|情感|情绪",
    ),
)
