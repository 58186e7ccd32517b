"""An in-process provider that streams a scripted answer and fails on demand.

It makes the demo and the tests deterministic, and is part of the product: use it to
rehearse how a policy behaves when providers fail, without keys or network.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from llm_router import errors
from llm_router.accumulate import guard_commit
from llm_router.types import (
    ChatRequest,
    FinishReason,
    Sleep,
    StreamChunk,
    ToolCall,
    ToolCallDelta,
    Usage,
)

FaultKind: TypeAlias = Literal[
    "rate_limited",
    "server_error",
    "connect",
    "first_token_timeout",
    "idle_timeout",
    "auth",
    "context_window",
    "content_filter",
    "bad_request",
    "protocol",
    "stall",
]
"""Ways a scripted stream can fail. ``stall`` waits until cancelled (or released)."""

FAULT_KINDS: tuple[FaultKind, ...] = (
    "rate_limited",
    "server_error",
    "connect",
    "first_token_timeout",
    "idle_timeout",
    "auth",
    "context_window",
    "content_filter",
    "bad_request",
    "protocol",
    "stall",
)

_ERRORS: dict[str, tuple[type[errors.ProviderError], int | None]] = {
    "rate_limited": (errors.RateLimited, 429),
    "server_error": (errors.ServerError, 500),
    "connect": (errors.ConnectError, None),
    "first_token_timeout": (errors.FirstTokenTimeout, None),
    "idle_timeout": (errors.IdleTimeout, None),
    "auth": (errors.AuthError, 401),
    "context_window": (errors.ContextWindowExceeded, 400),
    "content_filter": (errors.ContentFiltered, 400),
    "bad_request": (errors.BadRequest, 400),
    "protocol": (errors.ProtocolError, None),
}

_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Fault:
    """Fail with ``kind`` after ``after_chunks`` chunks (0: before the first one)."""

    kind: FaultKind
    after_chunks: int = 0
    retry_after: float | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise errors.ConfigurationError(
                f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}"
            )
        if self.after_chunks < 0:
            raise errors.ConfigurationError("fault after_chunks must be >= 0")

    def error(self, provider: str, model: str) -> errors.ProviderError:
        """The error this fault raises."""
        cls, status = _ERRORS[self.kind]
        message = self.message or f"scripted {self.kind.replace('_', ' ')}"
        return cls(
            message, provider=provider, status=status, retry_after=self.retry_after, model=model
        )


@dataclass(frozen=True, slots=True)
class Script:
    """What one call streams: ``text`` split into word chunks (or ``chunk_chars``
    characters each), paced by ``first_token_delay_s`` and ``chunk_delay_s``."""

    text: str = "Hello from the scripted provider."
    chunk_chars: int = 0
    first_token_delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: FinishReason = "stop"
    usage: Usage | None = None
    fault: Fault | None = None
    model: str | None = None
    """The model name the scripted upstream reports (``Completion.upstream_model``;
    default: the deployment's model)."""

    def pieces(self) -> list[str]:
        """The text deltas this script sends, in order."""
        if not self.text:
            return []
        if self.chunk_chars > 0:
            n = self.chunk_chars
            return [self.text[i : i + n] for i in range(0, len(self.text), n)]
        return _WORDS.findall(self.text)


@dataclass
class ScriptedProvider:
    """Streams ``script`` (or the i-th of ``scripts`` on the i-th call; the last repeats).

    Records every request in ``calls`` and counts streams ``opened``, ``closed``
    (whatever the reason) and ``completed`` (finish signal delivered), so tests can
    check that every stream was closed.
    """

    name: str = "scripted"
    model: str = "scripted-1"
    scripts: Sequence[Script] = (Script(),)
    sleep: Sleep = asyncio.sleep
    calls: list[ChatRequest] = field(default_factory=list)
    opened: int = 0
    closed: int = 0
    completed: int = 0
    release: asyncio.Event | None = None
    """Set this event to let ``stall`` faults end (they then raise FirstTokenTimeout)."""
    prefill: bool = False
    """Continue a final assistant message (stream rescue): the script's text after it."""

    def __post_init__(self) -> None:
        if isinstance(self.scripts, Script):
            self.scripts = (self.scripts,)
        if not self.scripts:
            raise errors.ConfigurationError(f"{self.name}: at least one script is required")

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream the next script's answer to ``request``."""
        script = self.scripts[min(len(self.calls), len(self.scripts) - 1)]
        self.calls.append(request)
        model = request.model or self.model
        return guard_commit(self._stream(script, request, model), provider=self.name, model=model)

    async def _stream(
        self, script: Script, request: ChatRequest, model: str
    ) -> AsyncIterator[StreamChunk]:
        self.opened += 1
        try:
            fault = script.fault
            if script.first_token_delay_s:
                await self.sleep(script.first_token_delay_s)
            sent = 0
            for piece in self._pieces(script, request):
                if fault is not None and fault.after_chunks <= sent:
                    await self._fail(fault, model)
                if sent and script.chunk_delay_s:
                    await self.sleep(script.chunk_delay_s)
                yield StreamChunk(text=piece, provider=self.name, model=model)
                sent += 1
            for i, call in enumerate(script.tool_calls):
                if fault is not None and fault.after_chunks <= sent:
                    await self._fail(fault, model)
                half = len(call.arguments) // 2
                yield StreamChunk(
                    text="",
                    provider=self.name,
                    model=model,
                    tool_calls=(ToolCallDelta(i, call.id, call.name, call.arguments[:half]),),
                )
                yield StreamChunk(
                    text="",
                    provider=self.name,
                    model=model,
                    tool_calls=(ToolCallDelta(i, None, None, call.arguments[half:]),),
                )
                sent += 2
            if fault is not None:
                await self._fail(fault, model)
            usage = script.usage or Usage(
                input_tokens=sum(len(m.text()) for m in request.messages) // 4 + 1,
                output_tokens=sent,
            )
            finish: FinishReason = "tool_calls" if script.tool_calls else script.finish_reason
            yield StreamChunk(
                text="",
                provider=self.name,
                model=model,
                finish_reason=finish,
                raw_finish_reason=finish,
                usage=usage,
                upstream_model=script.model or model,
            )
            self.completed += 1
        finally:
            self.closed += 1

    def _pieces(self, script: Script, request: ChatRequest) -> list[str]:
        pieces = script.pieces()
        last = request.messages[-1] if request.messages else None
        if not self.prefill or last is None or last.role != "assistant":
            return pieces
        done = last.text()
        if not script.text.startswith(done):
            raise errors.BadRequest(
                f"{self.name}: cannot continue a prefill that is not part of its script",
                provider=self.name,
                status=400,
            )
        rest = script.text[len(done) :]
        return _WORDS.findall(rest)

    async def _fail(self, fault: Fault, model: str) -> None:
        if fault.kind == "stall":
            release = self.release or asyncio.Event()
            await release.wait()
            raise errors.FirstTokenTimeout(
                "scripted stall released", provider=self.name, model=model
            )
        raise fault.error(self.name, model)
