"""Features of the detector's learned component: words, word stems, word pairs, CJK pairs.

One function, :func:`features`, shared by training (:mod:`.train`) and inference
(:mod:`.learned`), so the two can never disagree. It sees only the instruction of a
turn (a few hundred characters), never pasted material, which bounds its cost.

* Text is lower-cased and Latin accents are folded (``résume`` → ``resume``), so a
  request typed without accents looks like one typed with them.
* Latin-script words give the word itself and, when longer than ``STEM`` letters, a
  stem (its first ``STEM`` letters plus ``~``): ``riassumi``, ``riassunto`` and
  ``riassumere`` share ``riass~``; ``traduce``, ``traduis`` and ``traduza`` share
  ``tradu~``. Adjacent words give a pair (``in french``).
* Runs of Chinese or Japanese characters (no spaces between words) give overlapping
  character pairs (``要約``, ``翻訳``).
* Numbers are one token, ``0``; a few shape features start with ``$`` (the turn asks
  a question, ends with a colon, has an arrow, quotes, or several numbers).
"""

from __future__ import annotations

import re

STEM = 5
"""Letters kept in a word stem."""
MAX_CHARS = 600
"""Longest instruction text read; the rest is ignored."""

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f"
_TOKEN = re.compile(rf"[0-9]+(?:[.,][0-9]+)*|[{_CJK}]+|[^\W\d_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]")
_QUOTES = re.compile("[\"\u201c\u201d\u00ab\u00bb\u300c\u300d']")
_FOLD = str.maketrans(
    {
        **dict.fromkeys("áàâäãåā", "a"),
        **dict.fromkeys("éèêëē", "e"),
        **dict.fromkeys("íìîïī", "i"),
        **dict.fromkeys("óòôöõøō", "o"),
        **dict.fromkeys("úùûüū", "u"),
        "ç": "c",
        "ñ": "n",
        "ß": "ss",
        "œ": "oe",
        "æ": "ae",
        "\u2019": "'",
    }
)


def normalise(text: str) -> str:
    """Lower-cased, accent-folded text (the form every feature is read from)."""
    return text[:MAX_CHARS].lower().translate(_FOLD)


def features(text: str) -> list[str]:
    """The feature strings of ``text`` (duplicates kept; callers may dedupe)."""
    folded = normalise(text)
    out: list[str] = []
    previous = "^"
    numbers = 0
    for token in _TOKEN.findall(folded):
        first = token[0]
        if first.isdigit():
            numbers += 1
            token = "0"
        elif _CJK_RUN.match(first):
            out.extend(token[i : i + 2] for i in range(len(token) - 1))
            if len(token) == 1:
                out.append(token)
            previous = "^"
            continue
        out.append(token)
        if len(token) > STEM:
            out.append(token[:STEM] + "~")
        out.append(previous + " " + token)
        previous = token
    stripped = folded.rstrip()
    if stripped.endswith(("?", "\uff1f")):
        out.append("$q")
    if stripped.endswith((":", "\uff1a")):
        out.append("$colon")
    if "\u2192" in folded or "->" in folded:
        out.append("$arrow")
    if _QUOTES.search(folded):
        out.append("$quote")
    if numbers >= 2:
        out.append("$nums")
    return out


_WORDS = re.compile(rf"[^\W\d_{_CJK}]{{3,}}|[{_CJK}]{{2,}}")


def has_words(text: str) -> bool:
    """Whether ``text`` has something to read: two words of three letters or more, or a
    run of Chinese or Japanese characters. Strings of digits and symbols have no task."""
    found = _WORDS.findall(text[:MAX_CHARS])
    return len(found) >= 2 or any(not w.isascii() and _CJK_RUN.match(w) for w in found)
