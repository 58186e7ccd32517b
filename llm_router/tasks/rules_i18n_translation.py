"""Rules for ``translation`` beyond the English verbs: requests in Spanish, German,
French, Italian, Portuguese and Japanese, and requests that only name a target
language ("Spanish please:", ``EN→DE``, "Korean version of our tagline").

Same conventions as :mod:`.rules`: patterns are lower case and run on the lower-cased
instruction, so accented letters are written both ways where users often drop them.
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
        r"\b(?:como|cómo) se (?:dice|escribe)\b|\b(?:como|cómo) (?:digo|le digo)\b|"
        r"\bwie sagt man\b|"
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
