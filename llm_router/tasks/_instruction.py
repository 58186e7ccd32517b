"""Find the instruction of a turn: the part that asks, not the material pasted with it.

A request is an instruction plus, often, material: an article, an invoice, a log, some
code. The instruction sits before the material ("Summarize this:\\n<article>"), after
it ("<article>\\n\\nTL;DR?"), or both; the material's own words (a "review" in an
article, numbers in an invoice, "translate" in a story) must not decide the label.

* A short turn (``SHORT`` characters or less, in one paragraph) is all instruction.
* Otherwise the instruction is the turn's first and last *paragraphs* when they are
  short, else their first and last *lines*, else the first and last sentence; fenced
  code blocks are never part of it. An instruction introducing the material often
  ends with a colon ("Resume el siguiente texto:"), and the head is cut there.
* Of head and tail, the one that asks (ends with ":" or "?", or points at the material:
  "the above", "este texto", "以下") is kept alone; failing that, a terse one typed
  around a long paste ("bullets please"); otherwise both.
"""

from __future__ import annotations

import re

SHORT = 300
"""A turn at most this long is read whole as instruction."""
BRIEF = 120
"""A turn at most this long is read whole even when it has several paragraphs."""
PART = 280
"""Longest head or tail paragraph or line taken whole."""
LEAD = 80
"""A head line "<up to LEAD chars>: <long material>" is cut after its colon."""
TERSE = 100
"""A head or tail this short, at most half the other, is taken as the request alone."""
SENTENCE = 200
"""When a line is longer than ``PART``, the head/tail sentence is cut at this length."""

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_POINTS = re.compile(
    r"\b(?:this|these|that|above|below|following|attached|here|esto|este|esta|estos|estas|"
    r"siguiente|anterior|aqu[ií]|dies\w*|folgend\w*|obig\w*|unten|oben|hier|ce|cet|cette|"
    r"ces|ci-dessous|ci-dessus|suivant\w*|voici|questo|questa|questi|queste|seguente|sotto|"
    r"sopra|ecco|isso|isto|esse|essa|seguinte|abaixo|acima|aqui)\b|この|これ|以下|次の|上の|下の"
)
_SENTENCE_END = re.compile(r"(?<=[.!?:;\u3002\uff01\uff1f\uff1a])\s+|(?<=[\u3002\uff01\uff1f])")


def _head(text: str) -> str:
    paragraph = _PARAGRAPH.split(text, maxsplit=1)[0].strip()
    if len(paragraph) <= PART:
        return paragraph
    line = paragraph.split("\n", 1)[0].strip()
    colon = line.find(":", 0, LEAD)
    if colon > 0 and len(line) - colon > LEAD:
        return line[: colon + 1]
    if len(line) <= PART:
        return line
    parts = _SENTENCE_END.split(line[: SENTENCE * 2], maxsplit=1)
    return parts[0][:SENTENCE]


def _tail(text: str) -> str:
    paragraph = _PARAGRAPH.split(text)[-1].strip()
    if len(paragraph) <= PART:
        return paragraph
    line = paragraph.rsplit("\n", 1)[-1].strip()
    if len(line) <= PART:
        return line
    parts = _SENTENCE_END.split(line[-SENTENCE * 2 :])
    return parts[-1][-SENTENCE:] if parts[-1] else parts[-2][-SENTENCE:]


def instruction(text: str) -> str:
    """The instruction part of ``text`` (the whole of a short turn)."""
    text = text.strip()
    if len(text) <= SHORT and (len(text) <= BRIEF or not _PARAGRAPH.search(text)):
        return text
    if "```" in text:
        text = _FENCE.sub("\n\n", text).strip()
        if len(text) <= SHORT:
            return text
    head = _head(text)
    tail = _tail(text)
    if not tail or tail == head:
        return head
    head_asks, tail_asks = _asks(head), _asks(tail)
    if head_asks != tail_asks:
        return head if head_asks else tail
    if not head_asks and min(len(head), len(tail)) <= TERSE:
        # Neither part points at the material: the terse one is the request typed
        # around it ("owners and due dates only", "Kurzfassung bitte").
        if len(tail) * 2 <= len(head):
            return tail
        if len(head) * 2 <= len(tail):
            return head
    return head + "\n" + tail


def _asks(part: str) -> bool:
    """Whether ``part`` looks like a request: it ends with a colon or a question mark,
    or points at material ("the above", "this article", "el siguiente")."""
    return part.rstrip().endswith((":", "?", "\uff1a", "\uff1f")) or bool(
        _POINTS.search(part.lower())
    )
