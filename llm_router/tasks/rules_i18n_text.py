"""Rules for ``summarization`` and ``extraction`` beyond the English verbs: Spanish,
German, French, Italian, Portuguese and Japanese cues, and English requests that name
what to produce without a trigger verb ("the upshot?", "owners and due dates only",
"key: value pairs for our CRM").

Same conventions as :mod:`.rules`.
"""

from __future__ import annotations

from llm_router.tasks.rules import RuleRow

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
        r"\ben (?:une|deux|trois) lignes?\b|\ben pocas palabras\b|\ben resumen\b|\bin kurze\b|"
        r"\bin kürze\b|\bkurz und knapp\b|\bin (?:einem|"
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
        r"(?:headline|title) for (?:this|that|it)|what (?:was|got|has been) decided|"
        r"ce qui a [eé]t[eé] "
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
        r"\bpositiv[oae]?,? (?:o|oder|ou|or) negativ[oae]?\b|"
        r"\bpositi(?:f|ve),? ou n[eé]gati(?:f|ve)\b|\bboa ou ruim\b|\bbueno o malo\b|"
        r"\bgut oder schlecht\b|ポジティブ|ネガティブ|肯定的|否定的|"
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
        r"\bwhat language is (?:this|it|that)\b|\bwhich language is (?:this|it)\b|"
        r"\b(?:que|qué) idioma\b|"
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
        r"\bresponde solo con\b|\bantworte nur mit\b|"
        r"\b(?:reponds?|réponds?) (?:seulement|uniquement) par\b|"
        r"\brispondi solo con\b",
    ),
)
