"""Text helpers for the detector: scan windows, number counting, follow-up turns.

The detector never scans a whole pasted document. Instruction rules read the
instruction :mod:`._instruction` finds; numbers for a word problem are counted in the
first ``ASK_HEAD`` and last ``ASK_TAIL`` characters; structural rules (code fences,
stack traces) see at most ``BODY_HEAD`` + ``BODY_TAIL`` characters and ``tail`` rules
the last ``TAIL``. That bounds the cost per request whatever the prompt size.
"""

from __future__ import annotations

import re

from llm_router.tasks.rules_reasoning import QUANTITY_I18N, QUANTITY_QUESTION
from llm_router.types import ChatRequest

ASK_HEAD = 500
"""Characters from the start of the turn where a word problem's numbers are counted."""
ASK_TAIL = 300
"""Characters from the end of the turn where a word problem's numbers are counted."""
BODY_HEAD = 1500
"""Characters from the start of the turn searched for structural cues."""
BODY_TAIL = 500
"""Characters from the end of the turn searched for structural cues."""
TAIL = 200
"""Characters from the end of the turn searched by ``tail`` rules."""
FOLLOW_UP_MAX = 200
"""A last user turn at most this long may lean on the previous user turn."""
FOLLOW_UP_BARE = 40
"""A last user turn at most this long leans on the previous one even without a referent."""

_NUMBER = re.compile(
    r"\$?(?<![\d.,])\d+(?:[.,]\d+)*%?|\b(?:one|third|fourth|fifth|tenth|two|three|four|five|"
    r"six|seven|eight|nine|ten|eleven|"
    r"twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|half|twice|double|"
    r"triple|dozen|quarter)\b",
)
_YEAR = re.compile(r"(?:1[5-9]|20)\d\d")
_FOLLOW_UP = re.compile(
    r"\b(?:this|it|that|them|these|those|again|too|also|shorter|longer|instead|another|"
    r"same|now|more|what if|what about|how about|"
    r"esto|eso|otra|otro|tambi[eé]n|ahora|m[aá]s|igual|y si|y qu[eé] tal|"
    r"dies|dieses|auch|noch|jetzt|nochmal|mehr|gleiche|daf[uü]r|davon|dazu|und wenn|und was|"
    r"[cç]a|cela|ceci|aussi|encore|maintenant|m[eê]me|et si|et pour|"
    r"questo|questa|anche|ancora|ora|adesso|pi[uù]|stess[oa]|e se|"
    r"isso|isto|essa|esse|agora|mais|mesm[oa]|e que tal)\b|^\W*(?:and|y|und|et|e)\b|"
    r"もっと|もう|では|じゃあ|それ|これ|同じ|也|这|那",
    re.IGNORECASE,
)


def _cut(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return text
    return text[:head] + "\n" + text[-tail:]


def ask_zone(text: str) -> str:
    """The start and the end of a turn (where a word problem's numbers are counted)."""
    return _cut(text, ASK_HEAD, ASK_TAIL)


def tail_zone(text: str) -> str:
    """The last ``TAIL`` characters of a turn, where closing cues (``TL;DR:``) sit."""
    return text[-TAIL:]


def body_zone(text: str) -> str:
    """The part of a turn scanned for structural cues (bounded), after a newline.

    The leading newline lets body rules write a line start as ``\\n[ \\t]*``.
    """
    return "\n" + _cut(text, BODY_HEAD, BODY_TAIL)


def count_numbers(text: str) -> int:
    """Quantities in ``text`` (digits and number words), not counting years like 1998."""
    found = _NUMBER.finditer(text.lower())
    return sum(1 for m in found if not _YEAR.fullmatch(m.group().strip("$%")))


def estimated_tokens(request: ChatRequest, limit: int) -> int:
    """Prompt tokens estimated as characters / 4; stops counting once over ``limit``.

    Four characters per token is the usual rule of thumb for English with BPE
    tokenizers; it over-counts code and under-counts CJK, which is fine for a
    threshold that only picks a long-context route.
    """
    chars = 0
    stop = (limit + 1) * 4
    for message in request.messages:
        chars += len(message.text())
        if chars > stop:
            break
    return chars // 4


def previous_user_text(request: ChatRequest) -> str | None:
    """The user turn before the last one, if the last one is a short follow-up.

    Earlier turns only resolve what "this", "it", "shorter" or "now Portuguese too"
    refer to, so they are consulted only for short turns that look like follow-ups.
    """
    users = [m for m in request.messages if m.role == "user"]
    if len(users) < 2:
        return None
    last = users[-1].text().strip()
    if len(last) > FOLLOW_UP_MAX:
        return None
    if len(last) > FOLLOW_UP_BARE and not _FOLLOW_UP.search(last):
        return None
    return users[-2].text()


_QUANTITY = re.compile(QUANTITY_QUESTION + "|" + QUANTITY_I18N)
QUANTITY_TAIL = 300
"""Characters from the end of a long turn searched for a quantity question."""


def asks_quantity(text: str) -> bool:
    """A quantity question ("how many…?") in the last ``QUANTITY_TAIL`` characters.

    For long turns whose instruction zone left the question out (a word problem
    written as one long paragraph ending in "Explain your reasoning.").
    """
    tail = text[-QUANTITY_TAIL:].lower()
    return "?" in tail and _QUANTITY.search(tail) is not None


_ADDRESSED = re.compile(
    r"\b(?:you|your|du|dir|dich|tu|toi|vous|usted|te|ti|voc[eê])\b|あなた|君", re.IGNORECASE
)


def addressed(text: str) -> bool:
    """A short question put to the assistant itself ("do you also know Catalan?").

    Such a turn carries its own request even under a system prompt that sets a task
    ("translate whatever the user sends"); a bare question without "you" might be
    text to work on, so it does not count.
    """
    stripped = text.strip()
    return (
        len(stripped) <= FOLLOW_UP_MAX
        and stripped.endswith(("?", "\uff1f"))
        and _ADDRESSED.search(stripped) is not None
    )
