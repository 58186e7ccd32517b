"""A :class:`Reply` as the steps of one answer: the vendor's events (from
:mod:`._vendors`) up to the fault, then the fault itself (nothing, a reset, a
malformed or error event, a stall), else the finish signal."""

from __future__ import annotations

from typing import Literal, TypeAlias

from llm_router.errors import ConfigurationError
from llm_router.testing._reply import Reply
from llm_router.testing._vendors import RENDERERS
from llm_router.testing._vendors import error_body as error_body

Kind: TypeAlias = Literal["openai", "anthropic", "gemini", "ollama"]
"""The wire formats a scripted upstream speaks."""

KINDS: tuple[Kind, ...] = ("openai", "anthropic", "gemini", "ollama")


class Stall:
    """A step: send nothing more until the client leaves or the upstream is released."""

    def __repr__(self) -> str:
        return "STALL"


class Reset:
    """A step: abort the connection (TCP reset, no end of the HTTP body)."""

    def __repr__(self) -> str:
        return "RESET"


STALL = Stall()
RESET = Reset()
Step: TypeAlias = bytes | Stall | Reset


def content_type(kind: Kind) -> str:
    """The streaming answer's ``Content-Type``."""
    return "application/x-ndjson" if kind == "ollama" else "text/event-stream"


def render(kind: Kind, reply: Reply, model: str) -> list[Step]:
    """The steps of ``reply``'s 200 answer in ``kind``'s wire format, faults included."""
    if kind not in RENDERERS:
        raise ConfigurationError(f"unknown upstream kind {kind!r}; one of {', '.join(KINDS)}")
    head, body, tail, error = RENDERERS[kind](reply, reply.model or model)
    steps: list[Step] = list(head)
    fault = reply.fault_at()
    if fault is None:
        return [*steps, *body, *tail]
    what, at = fault
    steps += body[:at]
    if what == "cut":
        return [*steps, RESET] if reply.reset else steps
    if what == "malformed":
        return [*steps, b"{not json\n" if kind == "ollama" else b"data: {not json\n\n"]
    if what == "error_event":
        return [*steps, error]
    return [*steps, STALL]
