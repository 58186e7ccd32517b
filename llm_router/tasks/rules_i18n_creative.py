"""Rules for ``creative`` and ``chat`` beyond the English verbs: Spanish, German,
French, Italian, Portuguese and Japanese cues, and English requests that name the
form to produce without a verb ("three captions for…", "limerick about…").

Same conventions as :mod:`.rules`.
"""

from __future__ import annotations

from llm_router.tasks.rules import RuleRow

_FORMS_I18N = (
    r"poema|poes[ií]a|cuento|relato|canci[oó]n|eslogan|lema|chiste|adivinanza|discurso|"
    r"brindis|felicitaci[oó]n|gedicht|geschichte|m[aä]rchen|erz[aä]hlung|liedtext|lied|"
    r"slogan|witz|r[aä]tsel|rede|trinkspruch|gl[uü]ckw[uü]nsche|werbetext|einladung|"
    r"gutenachtgeschichte|po[eè]me|po[eé]sie|histoire|conte|r[eé]cit|chanson|blague|devinette|"
    r"discours|filastrocca|storia|racconto|favola|canzone|barzelletta|indovinello|discorso|"
    r"brindisi|biglietto|auguri|hist[oó]ria|conto|can[cç][aã]o|piada|charada|brinde|"
    r"cart[aã]o|legenda|post|texto publicit[aá]rio|testo pubblicitario|texte publicitaire|"
    r"nom(?:bre)?s? para|namensideen|namen f[uü]r|noms? pour|nomi per|nomes? para|"
    r"ideas? de nombres?|id[eé]es de noms?|idee per (?:il )?nome|ideias de nomes?"
)
_FORMS_EN = (
    r"captions?|taglines?|slogans?|puns?|jokes?|riddles?|poems?|haikus?|limericks?|sonnets?|"
    r"rap(?: verse)?|verses?|lyrics|songs?|stories|story|fables?|fairy ?tales?|legends?|myths?|"
    r"toasts?|speech(?:es)?|eulog(?:y|ies)|cover letter|love letter|thank[- ]you (?:note|card|"
    r"message)|(?:birthday |greeting )?card (?:message|text)|birthday (?:card|message|wishes)|"
    r"invitation(?: text)?|product (?:copy|description)|ad copy|(?:instagram|linkedin|facebook|"
    r"social media) (?:post|caption)s?|tweets?|blog post|listing|dialogues?|monologue|names? "
    r"for|ideas for"
)
_FREE = r"(?!(?:the|this|that|these|above|following|given|my|your|his|her)\b)"
_AFTER = r"\s*(?:$|[,:.!\d(]|for\b|about\b|on\b|of\b|whose\b|between\b|with\b|to\b|"
_AFTER += r"celebrating\b|announcing\b|that\b|in\b|please\b)"
_VERBS_I18N = (
    r"escrib\w*|escríb\w*|invent\w*|invént\w*|crea|creame|créame|haz|hazme|dame|necesito|"
    r"quiero|compon|compón|schreib\w*|denk dir|erfinde|erzahl\w*|erzähl\w*|verfasse|dichte|"
    r"ecri\w*|écri\w*|redige|rédige|compose|trouve|propose|scriv\w*|componi|mi serve|vorrei|"
    r"escrev\w*|cria|crie|faca|faça|faz|me da|me dá|preciso|sugest\w*|sugier\w*|suggeris\w*"
)
_ARTICLES = (
    r"a|an|one|some|two|three|four|five|ten|\d+|un|una|uno|unos|unas|ein|eine|einen|einige|"
    r"une|des|quelques|alcun[ie]|qualche|um|uma|uns|umas|alguns|algumas|ein paar"
)

CREATIVE_I18N: tuple[RuleRow, ...] = (
    (
        "creative",
        "compose_i18n",
        3.0,
        "ask",
        rf"\b(?:{_VERBS_I18N})\b.{{0,40}}?\b(?:{_FORMS_I18N})\b|"
        r"(?:俳句|短歌|詩|物語|お話|童話|キャッチコピー|スローガン|歌詞|ジョーク|なぞなぞ|スピーチ|"
        r"メッセージ|名前|アイデア)を?(?:\d+つ|いくつか)?(?:作|書|考|詠)",
    ),
    (
        "creative",
        "form_lead",
        3.0,
        "ask",
        rf"^\W{{0,3}}(?:(?:need|want|give me|pitch me|make up|write)\s+)?(?:(?:{_ARTICLES})\s+)?"
        rf"(?:{_FREE}[\w'-]+\s+){{0,3}}?(?:{_FORMS_EN})\b(?={_AFTER})|"
        rf"^\W{{0,3}}(?:(?:{_ARTICLES})\s+)(?:[\w'-]+\s+){{0,2}}?(?:{_FORMS_I18N})\b|"
        rf"^\W{{0,3}}(?:(?:{_ARTICLES})\s+)?(?:[\w'-]+\s+){{0,2}}?(?:namensideen|sugest[oõ]es "
        rf"de nomes|ideas de nombre|id[eé]es de noms?|idee per (?:il )?nome)\b",
    ),
    (
        "creative",
        "persona",
        2.5,
        "ask",
        r"\b(?:copywriter|poet|storyteller|songwriter|novelist|screenwriter|texter|dichter|"
        r"poeta|poète|escritor|escritora|scrittore|[eé]crivain|conteur|cuentacuentos|"
        r"sloganista)\b|童話作家|作家|コピーライター|詩人",
    ),
    (
        "creative",
        "name_ideas",
        2.5,
        "ask",
        r"\b(?:catchy|good|new|cool|fun|clever|punny) names?\b|\bname (?:ideas|suggestions)\b|"
        r"\bpitch me\b|\bmake up\b|\b(?:continue|carry on with) (?:the|this|my) story\b|"
        r"\bcontinua (?:la|a) (?:storia|hist[oó]ria)\b|\bcontin[uú]a (?:la|el) (?:historia|"
        r"cuento)\b|\bcontinue l'histoire\b|\berz[aä]hl (?:die geschichte )?weiter\b",
    ),
)

CHAT_I18N: tuple[RuleRow, ...] = (
    (
        "chat",
        "learning_advice",
        1.5,
        "ask",
        r"\b(?:is|are) (?:learning|studying) \w+ (?:hard|difficult|easy|worth)\b|\bworth "
        r"learning\b|\bfirst (?:programming )?language\b|\b(?:learn|study) (?:first|next)\b|"
        r"\b(?:bootcamp|cs degree|computer science degree|career (?:in|as))\b",
    ),
    (
        "chat",
        "word_meaning_i18n",
        3.5,
        "ask",
        r"\bwhat(?:'s|\u2019s| does)\b.{1,40}?\bmean\b|\bque signifie\b|\bcosa (?:significa|vuol "
        r"dire)\b|\bche (?:significa|vuol dire)\b|\bo que (?:significa|quer dizer)\b|"
        r"\b(?:que|qué) quiere decir\b|どういう意味|の意味|什么意思",
    ),
    (
        "chat",
        "closed_qa_i18n",
        2.5,
        "ask",
        r"\bseg[uú]n (?:el|la|este|esta)\b|\blaut (?:dem|der|diesem|dieser)\b|\bselon (?:le|la|"
        r"l'|cet|cette)\b|\bsecondo (?:il|la|l'|questo|questa)\b|\bsegundo (?:o|a|este|esta)\b|"
        r"によると|\baccording to (?:this|the|that|your)\b",
    ),
    (
        "chat",
        "opinion",
        1.5,
        "ask",
        r"\b(?:do you think|would you (?:buy|recommend)|what do you think|your opinion|"
        r"did you (?:like|enjoy)|do you (?:also )?know|have you (?:ever|heard)|"
        r"que opinas|qué opinas|que piensas|qué piensas|was (?:meinst|h[aä]ltst) du|"
        r"qu'en penses-tu|tu en penses "
        r"quoi|cosa ne pensi|o que (?:voc[eê] )?acha|どう思)\b",
    ),
    (
        "chat",
        "question_i18n",
        1.0,
        "ask",
        r"^\W{0,3}(?:por que|por qué|que|qué|como|cómo|cual|cuál|donde|dónde|quien|quién|"
        r"me recomiendas|vale la "
        r"pena|warum|wieso|was|wie|wer|wo|welche[rs]?|kann ich|sollte ich|pourquoi|qu'est-ce|"
        r"comment|qui|ou|où|quel(?:le)?|tu connais|est-ce que|perch[eé]|cosa|come|chi|dove|"
        r"qual(?: [eè])?|posso|por que|o que|como|quem|onde|vale a pena)\b",
    ),
)
