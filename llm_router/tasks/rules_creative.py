"""Built-in detector rules for ``creative`` and ``chat``.

Same conventions as :mod:`.rules`. A requested literary form ("a haiku", "write a
limerick") is its own strong rule because the README lets it win over the topic and
over summarization; "what does X mean" and closed questions about a passage are
``chat`` strongly enough to beat the weak cues that would pull them elsewhere.
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

CREATIVE_RULES: tuple[RuleRow, ...] = (
    (
        "creative",
        "compose",
        3.0,
        "ask",
        r"\b(?:write|compose|create|generate|draft|craft|come up with|give me|make|pen|"
        r"produce|tell me|invent|form|develop|help me (?:write|draft|construct))\b"
        r"(?:\s+(?!(?:for|from|about|of|on|in|that|this|these|with|to|the following|given)\b)"
        rf"[\w'\u2019,-]+){{0,4}}?\s+(?:{_FORMS})\b",
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
        r"idiom)\b|\bwhat is the meaning of\b|\b(?:que|qué) significa\b|\bque veut dire\b|"
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
        r"(?:^|[.!?]\s+)\W{0,3}(?:please\s+)?(?:explain|describe|discuss|compare|"
        r"what (?:are|is|was|were)|"
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
