"""Rules for ``summarization``, ``extraction``, ``creative`` and ``chat`` beyond the
English verbs: Spanish, German, French, Italian, Portuguese and Japanese cues, and
English requests that name what to produce without a trigger verb ("three captions
for…", "the upshot?", "key: value pairs for our CRM").

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

_FIELDS = (
    r"names?|dates?|times?|amounts?|prices?|totals?|address(?:es)?|owners?|deadlines?|due dates?|"
    r"locations?|venue|quantit(?:y|ies)|vendor|supplier|customer|invoice number|order number|"
    r"nombres?|fechas?|horas?|importes?|precios?|direcci[oó]n|plazos?|lugar|horario|datum|"
    r"uhrzeit|betr[aä]ge?|preise?|adressen?|fristen?|ort|dauer|noms?|heures?|montants?|prix|"
    r"adresses?|d[eé]lais?|lieu|nomi|data|date|ora|importo|prezzo|indirizzo|scadenz[ae]|"
    r"luogo|orario|durata|valor(?:es)?|pre[cç]os?|endere[cç]o|prazos?|local|hor[aá]rio"
)

SUMMARIZATION_I18N: tuple[RuleRow, ...] = (
    (
        "summarization",
        "summarize_i18n",
        3.0,
        "ask",
        r"\b(?:resum(?:e|a|ir|en|o|ido|elo|ame|ámelo|amelo|eme|emelo|anos)|resúm(?:elo|eme|emelo|"
        r"anos)|résumé|résume(?:-moi|r|z)?|resumé|riassum\w*|riassunt\w*|sintetizz\w*|sintesi|"
        r"sintesis|síntesis|"
        r"synth[eè]se|sintetiz\w*|zusammenfass\w*|kurzfassung|zusammengefasst)\b"
        r"(?<!my resume)(?<!a resume)(?<!the resume)(?<!your resume)|"
        r"\bfass\w* .{0,60}\bzusammen\b|要約|要点|まとめ|かいつまん|概要|总结|概括|摘要",
    ),
    (
        "summarization",
        "key_points_i18n",
        2.5,
        "ask",
        r"\bpuntos (?:clave|principales|importantes|m[aá]s importantes)\b|\b(?:wichtigsten|"
        r"zentralen) (?:punkte|aussagen|infos|informationen)\b|\bkernaussagen\b|"
        r"\bdas wichtigste\b|\bpoints? (?:cl[eé]s?|principaux|essentiels)\b|\bl'essentiel\b|"
        r"\bpunti (?:chiave|principali|salienti)\b|\bl'essenziale\b|\bpontos (?:principais|"
        r"chave|-chave|importantes)\b|\bo essencial\b",
    ),
    (
        "summarization",
        "few_words_i18n",
        2.0,
        "ask",
        r"\ben (?:une|deux|trois) lignes?\b|\ben pocas palabras\b|\ben resumen\b|\bin kurze\b|\bin kürze\b|\bkurz und knapp\b|\bin (?:einem|"
        r"zwei|drei|wenigen) (?:s[aä]tzen|satz|worten)\b|\ben (?:bref|quelques mots|une phrase|"
        r"deux phrases|trois (?:points|phrases|lignes))\b|\bin poche parole\b|\bin (?:una|due|"
        r"tre) (?:frasi|frase|righe)\b|\bem poucas palavras\b|\bem (?:uma|duas|tr[eê]s) "
        r"(?:frases?|linhas)\b|\ben (?:una|dos|tres) (?:frases?|lineas|líneas)\b|"
        r"行で(?<=[一二三123]行で)|文で(?<=[一二三123]文で)",
    ),
    (
        "summarization",
        "what_about",
        2.5,
        "ask",
        r"\bde qu[eé] (?:va|trata)\b|\bworum geht\b|\bde quoi (?:parle|[cç]a parle|il s'agit)\b|"
        r"\bdi (?:cosa|che) (?:parla|tratta)\b|\bdo que se trata\b|\bsobre o que (?:[eé]|fala)\b|"
        r"\bwhat(?:'s|\u2019s| is) (?:this|it|the (?:article|email|text|memo|thread|report|"
        r"letter|document)) (?:all )?about\b|どんな内容|内容を(?:ざっくり|簡単に|教えて)",
    ),
    (
        "summarization",
        "condense_en",
        3.0,
        "ask",
        r"\b(?:upshot|bottom line|cliff'?s? ?notes|takeaways?|highlights|catch me up|fill me in|"
        r"(?:headline|title) for (?:this|that|it)|what (?:was|got|has been) decided|ce qui a [eé]t[eé] "
        r"d[eé]cid[eé]|qu[eé] se decidi[oó]|was wurde beschlossen|cosa [eè] stato deciso|"
        r"o que foi decidido|short of it|il succo|in sostanza|im wesentlichen|"
        r"en substance|em suma|what do (?:they|you|we) need from me|what (?:does|do) (?:she|he|"
        r"they) (?:need|expect)|"
        r"boil (?:it|this|that) down|the short version|executive summary|sum (?:this|it|that) up|"
        r"too long,? didn'?t read|cut (?:it|this) down|in plain (?:words|english)|digest|"
        r"abstract for|overview of (?:this|the|that)|one-paragraph overview|(?:chapter |book )?"
        r"recap)\b",
    ),
    (
        "summarization",
        "shorter_i18n",
        1.5,
        "ask",
        r"\b(?:mas corto|más corto|noch kurzer|noch kürzer|kurzer|kürzer|plus court|piu breve|"
        r"più breve|piu corto|più corto|mais curto|bem curtinho)\b|もっと短く|短くして",
    ),
)

EXTRACTION_I18N: tuple[RuleRow, ...] = (
    (
        "extraction",
        "field_list",
        2.0,
        "ask",
        rf"\b(?:{_FIELDS})\b(?:\s*(?:,|and|&|y|und|et|e|ou|o)\s*(?:the |las |los |die |les |"
        rf"i |os |as )?(?:{_FIELDS})\b)+",
    ),
    (
        "extraction",
        "who_what_when",
        3.0,
        "ask",
        r"\bwho (?:does|has to do|needs to do|should do|is doing) what\b|\bqui doit faire quoi\b|"
        r"\bqui fait quoi\b|\bqui[eé]n hace qu[eé]\b|\bwer macht was\b|\bchi fa cosa\b|"
        r"\bquem faz o qu[eê]\b|\baction items\b",
    ),
    (
        "extraction",
        "from_the_text",
        1.5,
        "ask",
        r"\b(?:from|out of) (?:this|the|these|that) (?:order|invoice|e-?mail|mail|text|document|"
        r"letter|receipt|contract|article|message|notes|page|cv|log|itinerary|ticket)\b|"
        r"\b(?:dal|del|dalla|della) (?:testo|documento|messaggio|mail|fattura)\b|\b(?:aus|von) "
        r"(?:der|dem|diesem|dieser) (?:mail|text|rechnung|nachricht|dokument)\b|\b(?:du|de ce|"
        r"de cette) (?:texte|mail|message|facture|document)\b|\b(?:do|da|deste|desta) (?:texto|"
        r"mensagem|e-mail|fatura|documento)\b|\b(?:del|de este|de esta) (?:texto|correo|mensaje|"
        r"factura|documento)\b",
    ),
    (
        "extraction",
        "extract_i18n",
        3.0,
        "ask",
        r"\b(?:extra(?:e|er|iga|eme|ia|ir|i|is|ire|yez|rre|ete|imi|hiere|hieren)|sacame|sácame|"
        r"sacalo|sácalo|sacamelo|sácamelo|releve[rz]?|relève[rz]?|identifie[rz]? les entit\w+|"
        r"heraus(?:ziehen|suchen|schreiben))"
        r"\b|\bliste\b.{0,80}\bauf\b|抽出|抜き出|書き出して|列挙|挙げて|提取|抽取",
    ),
    (
        "extraction",
        "structured_i18n",
        2.5,
        "ask",
        r"\ben (?:una )?tabla\b|\ben (?:formato )?json\b|\bals (?:json|tabelle|liste)\b|\bin "
        r"(?:einer )?tabelle\b|\bsous forme de (?:tableau|liste|json)\b|\bin (?:una )?tabella\b|"
        r"\bin (?:formato )?json\b|\bem (?:uma )?tabela\b|\bmont[ae] um json\b|\bum json\b|"
        r"\belenco puntato\b|表に|表形式|一覧に|jsonで|json形式|\bfill in (?:this|the) form\b|"
        r"\bjson\b(?!\s+(?:to|into|schema|file|parser|parsing|library|api))|\bformato clave\b|"
        r"\bclave: valor\b|\bchiave: valore\b|\b(?:en una lista|in un elenco|em (?:uma )?lista|"
        r"in einer liste|as a list|in a list|como lista)\b|"
        r"\bkey[: -]+value pairs\b|\b(?:as|into) (?:separate )?fields\b|\bfor (?:our|the|my) crm\b|"
        r"\b(?:pick|grab|pull) out\b|\bgrab (?:the|all|every)\b|\bpull (?:the|all|every)\b",
    ),
    (
        "extraction",
        "classify_i18n",
        2.5,
        "ask",
        r"\b(?:clasific\w*|klassifizier\w*|kategorisier\w*|classifi\w*|categori[sz]z\w*|"
        r"class(?:e|ez|er) (?:ce|cet|cette|ces|les))\b|\bordne\b.{0,60}\bzu\b|分類|仕分け|"
        r"\btag (?:each|every|these|the)\b|\blabel (?:each|every|these)\b",
    ),
    (
        "extraction",
        "label_pair_i18n",
        3.0,
        "ask",
        r"\bpositiv[oae]?,? (?:o|oder|ou|or) negativ[oae]?\b|\bpositi(?:f|ve),? ou n[eé]gati(?:f|ve)"
        r"\b|\bboa ou ruim\b|\bbueno o malo\b|\bgut oder schlecht\b|ポジティブ|ネガティブ|肯定的|否定的|"
        r"\b(?:phishing|spam|scam)\s*(?:or|o|ou|oder)\s*(?:legit\w*|not|real|genuine)\b|"
        r"\b(?:spam|phishing|a scam|scam)\s*\?|\blegit or\b|\b(?:toxic|offensive|sarcastic|spam|"
        r"urgent|relevant|abusive)\s+or\s+not\b|\bwhich of (?:these|the following) (?:are|is)\b|"
        r"\b(?:sentimiento|sentimento|stimmung|tonalit[aà]|estado de [aá]nimo)\b|\bde qu[eé] "
        r"humor\b|\bpositive,? (?:negative,? )?or "
        r"(?:negative|neutral|mixed)\b|\b(?:iron\w*|sarcas\w*|sarkas\w*)\s*(?:or|o|ou|"
        r"oder)\s*(?:serious|serio|s[eé]rieux|ernst|s[eé]rio)|迷惑メール|スパム",
    ),
    (
        "extraction",
        "language_id",
        3.0,
        "ask",
        r"\bwhat language is (?:this|it|that)\b|\bwhich language is (?:this|it)\b|\b(?:que|qué) idioma\b|"
        r"\bwelche sprache (?:ist|hat)\b|\bquelle langue\b|\bche lingua [eè]\b|\bqual (?:[eé] )?"
        r"(?:o )?idioma\b|何語",
    ),
    (
        "extraction",
        "which_bucket",
        2.5,
        "ask",
        r"\bwhich (?:team|department|queue|section|folder|bucket|category|class|label|topic|tag)s?"
        r"\b|\ba (?:quale|qu[eé]|qual) (?:categor[ií]a|sezione|secci[oó]n|reparto|departamento|"
        r"se[cç][aã]o)\b|\bzu welche[rm]? (?:kategorie|abteilung)\b|\b[aà] quelle (?:cat[eé]gorie|"
        r"rubrique|section)\b|どのカテゴリ|選択肢",
    ),
    (
        "extraction",
        "stars",
        2.5,
        "ask",
        r"\bhow many stars\b|\b(?:1|one)\s*(?:to|-)\s*(?:5|five) stars?\b|\bstar rating\b|"
        r"\b(?:cuantas|cuántas) estrellas\b|\bwie viele sterne\b|\bcombien d'[eé]toiles\b|"
        r"\bquante stelle\b|\bquantas estrelas\b|星いくつ",
    ),
    (
        "extraction",
        "label_only",
        1.0,
        "ask",
        r"\bone[- ]word answer\b|\banswer with (?:one|a single) word\b|\b(?:reply|answer|respond)"
        r" with the (?:label|category|number) only\b|\blabel only\b|\bresponda s[oó] com\b|"
        r"\bresponde solo con\b|\bantworte nur mit\b|\b(?:reponds?|réponds?) (?:seulement|uniquement) par\b|"
        r"\brispondi solo con\b",
    ),
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
        r"que opinas|qué opinas|que piensas|qué piensas|was (?:meinst|h[aä]ltst) du|qu'en penses-tu|tu en penses "
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
