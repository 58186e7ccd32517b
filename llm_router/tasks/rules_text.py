"""Built-in detector rules for ``summarization``, ``extraction``, ``creative`` and ``chat``.

Same conventions as :mod:`.rules`. The README's special cases show up as weights: a
requested literary form (``a haiku``) outweighs ``summarize``; "what does X mean" and
closed questions about a passage are ``chat`` strongly enough to beat the weak cues
(``extract the answer``, a pasted passage) that would otherwise pull them elsewhere.
"""

from __future__ import annotations

from llm_router.tasks.rules import RuleRow

_FORMS = (
    r"poems?|poetry|haikus?|limericks?|sonnets?|verses?|lyrics|songs?|raps?|ballads?|"
    r"odes?|stories|story|tales?|fables?|novels?|screenplay|dialogues?|jokes?|riddles?|"
    r"slogans?|taglines?|mottos?|jingles?|ad copy|advertisements?|speech|toast|eulogy|"
    r"essays?|blog posts?|articles?|letters?|e-?mails?|notes?|cards?|invitations?|"
    r"reviews?|tweets?|posts?|captions?|sentences?|paragraphs?|names?|headlines?|"
    r"outline|lesson plan|report|proposal|pitch|product descriptions?|scripts? for|"
    r"cover letter|bio|biography|description|monologue|scene|plot|character|ideas"
)

_LITERARY = (
    r"poem|haiku|limerick|sonnet|lyrics|song|rap|ballad|ode|story|tale|fable|joke|"
    r"riddle|slogan|tagline|jingle|acrostic|free verse"
)

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
        r"[\w'’,-]+){0,4}?\s+(?:summary|synopsis|abstract|overview|précis)\b",
    ),
    ("summarization", "summary_cue", 2.5, "ask", r"\b(?:summary|abstract|in short|tl;?dr)\s*:\s*\Z"),
    (
        "summarization",
        "summary_word",
        1.0,
        "ask",
        r"(?<!this )(?<!following )(?<!given )(?<!the )\b(?:summary|synopsis)\b",
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
        r"\b(?:classify|categori[sz]e|label|tag)\b|\bassign (?:it|them|each|this)\b",
    ),
    (
        "extraction",
        "label_set",
        2.5,
        "ask",
        r"\b(?:what|which) (?:\w+ )?(?:label|category|class|topic|section|descriptor)s?\b|\bcategor(?:y|ies)\b|\bdescriptors?\b|\bpick one\b|"
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
        "ask",
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
        r"\b(?:names?|dates?|emails?|addresses|phone numbers|prices|entities|people|places|"
        r"organi[sz]ations|companies|countries|capitals|fields|keywords|variables?|"
        r"amounts|figures|values)\b.{0,40}?\b(?:in|from|mentioned)\b",
    ),
    (
        "extraction",
        "choice_list",
        2.0,
        "ask",
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

CREATIVE_RULES: tuple[RuleRow, ...] = (
    (
        "creative",
        "compose",
        3.0,
        "ask",
        r"\b(?:write|compose|create|generate|draft|craft|come up with|give me|make|pen|"
        r"produce|tell me|invent|form|develop|help me (?:write|draft|construct))\b"
        r"(?:\s+(?!(?:for|from|about|of|on|in|that|this|these|with|to|the following|given)\b)"
        rf"[\w'’,-]+){{0,4}}?\s+(?:{_FORMS})\b",
    ),
    (
        "creative",
        "literary_form",
        3.5,
        "ask",
        r"^\W{0,3}(?:(?:please|now|and|ok|okay),?\s+)?(?:(?:write|compose|give me|make|turn "
        r"(?:it|this) into)\s+)?(?:a|an|one|some|two|three|\d+)\s+(?:[\w-]+\s+){0,2}?"
        rf"(?:{_LITERARY})s?\b|\b(?:write|compose|give me|make|create|turn (?:it|this) into)\s+"
        rf"(?:a|an|one|some|two|three|\d+)\s+(?:[\w-]+\s+){{0,2}}?(?:{_LITERARY})s?\b",
    ),
    (
        "creative",
        "brainstorm",
        2.0,
        "ask",
        r"\bbrainstorm\w*\b|\b(?:ideas|names|suggestions) for (?:a|an|my|our|the)\b|"
        r"\bcome up with\b|\b(?:list|give|suggest|share)\b.{0,20}?\b(?:ideas|names)\b",
    ),
    (
        "creative",
        "rewrite",
        1.5,
        "ask",
        r"^\W{0,3}(?:please\s+)?(?:rewrite|rephrase|paraphrase|edit|proofread|polish|reword)\b",
    ),
    ("creative", "imagine", 1.0, "ask", r"\bimagine\b|\bpretend\b|\brole-?play\b"),
    (
        "creative",
        "style",
        1.0,
        "ask",
        r"\b(?:persuasive|catchy|creative|funny|humorous|heartfelt|inspiring|compelling|"
        r"marketing|promotional|descriptive|plausible details|in the style of)\b",
    ),
    (
        "creative",
        "non_english",
        3.0,
        "ask",
        r"\b(?:escribe|escriba|écris|écrivez|écrire|schreibe|schreiben|schreib|scrivi|"
        r"componi|compón)\b.{0,60}?\b(?:poema|poesía|poème|gedicht|poesia|cuento|historia|"
        r"histoire|geschichte|storia|canción|chanson|lied|eslogan|slogan|discurso|discours|"
        r"rede|carta|lettre|brief|ensayo|essai|aufsatz)\b|写.{0,8}(?:诗|故事|歌词|口号|文章|信|笑话)|"
        r"一首.{0,6}诗|编.{0,4}故事",
    ),
)

CHAT_RULES: tuple[RuleRow, ...] = (
    ("chat", "explain_how", 1.0, "ask", r"\b(?:explain|describe|discuss) (?:how|why|what|the)\b"),
    (
        "chat",
        "word_meaning",
        3.5,
        "ask",
        r"\bwhat does\b.{1,40}?\bmean\b|\bmeaning of (?:the )?(?:word|phrase|term|expression|"
        r"idiom)\b|\bwhat is the meaning of\b|\bqu[eé] significa\b|\bque veut dire\b|"
        r"\bveut dire quoi\b|\bwas bedeutet\b|什么意思|是什么意思",
    ),
    (
        "chat",
        "closed_qa",
        2.5,
        "ask",
        r"\banswer (?:to )?(?:the|this) (?:following )?question\b|\baccording to (?:the|this) "
        r"(?:passage|text|article|context|notice|document|paragraph|email|report)\b|"
        r"\bbased on (?:the|this) (?:passage|text|article|context|paragraph)\b, (?:who|what|when|"
        r"where|why|how|which|is|are|does|did)\b|^\s*question:",
    ),
    (
        "chat",
        "question_opener",
        1.0,
        "ask",
        r"^\W{0,3}(?:please\s+)?(?:explain|describe|discuss|compare|what (?:are|is|was|were)|"
        r"who|when|where|why|how (?:do|does|did|can|should|is|are)|do you (?:know|think)|"
        r"is it|are there|should i|can you (?:tell|explain)|tell me about)\b",
    ),
    (
        "chat",
        "advice",
        1.0,
        "ask",
        r"\b(?:advice|recommend\w*|suggest\w*|opinion|pros and cons|advantages and "
        r"disadvantages|difference between|differ|should i|is it (?:safe|ethical|possible))\b",
    ),
)
