"""One behavioural suite, run against every provider (scripted and each HTTP wire format).

Each adapter knows how to make its provider produce a scenario: a normal text stream,
a stream cut after some text, a truncated stream (no finish signal), a 429, and a
stall before the first token. HTTP adapters encode the scenario in their own wire
format on the loopback upstream; the scripted adapter uses its scripts and faults.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import llm_router.providers
from llm_router import ChatRequest, complete, errors
from llm_router.config import Timeouts
from llm_router.providers import Fault, OllamaProvider, OpenAIProvider, Script, ScriptedProvider
from llm_router.types import Provider
from tests.providers.conftest import (
    NDJSON_HEADERS,
    RESET,
    SSE_HEADERS,
    Hold,
    Reply,
    Upstream,
    ndjson,
    sse,
)

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
PIECES = ["Hello", ", ", "wörld", " ✓"]
TEXT = "".join(PIECES)


def _openai_text(p: str) -> bytes:
    return sse({"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]})


def _openai_end() -> list[bytes]:
    return [
        sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        sse({"choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 4}}),
        b"data: [DONE]\n\n",
    ]


def _ollama_text(p: str) -> bytes:
    return ndjson({"message": {"role": "assistant", "content": p}, "done": False})


def _ollama_end() -> list[bytes]:
    return [
        ndjson(
            {
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 2,
                "eval_count": 4,
            }
        )
    ]


def _anthropic_start() -> list[bytes]:
    msg = {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "c",
        "usage": {"input_tokens": 2, "output_tokens": 1},
    }
    return [
        sse({"type": "message_start", "message": msg}, "message_start"),
        sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        ),
        sse({"type": "ping"}, "ping"),
    ]


def _anthropic_text(p: str) -> bytes:
    return sse(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
        "content_block_delta",
    )


def _anthropic_end() -> list[bytes]:
    return [
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 4},
            },
            "message_delta",
        ),
        sse({"type": "message_stop"}, "message_stop"),
    ]


def _gemini_text(p: str) -> bytes:
    return sse({"candidates": [{"content": {"parts": [{"text": p}], "role": "model"}, "index": 0}]})


def _gemini_end() -> list[bytes]:
    return [
        sse(
            {
                "candidates": [
                    {
                        "content": {"parts": [{"text": ""}], "role": "model"},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 4},
            }
        )
    ]


@dataclass(frozen=True)
class Wire:
    """How one HTTP provider's wire format encodes a text stream."""

    name: str
    make: Callable[..., Provider]
    headers: dict[str, str]
    text: Callable[[str], bytes]
    end: Callable[[], list[bytes]]
    start: Callable[[], list[bytes]] = list

    def body(self, pieces: list[str], *, finish: bool = True) -> list[bytes]:
        return [*self.start(), *(self.text(p) for p in pieces), *(self.end() if finish else [])]


def _wires() -> list[Any]:
    wires = [
        Wire(
            "openai",
            lambda **kw: OpenAIProvider(model="gpt", api_key="k", **kw),
            dict(SSE_HEADERS),
            _openai_text,
            _openai_end,
        ),
        Wire(
            "ollama",
            lambda **kw: OllamaProvider(model="llama", **kw),
            dict(NDJSON_HEADERS),
            _ollama_text,
            _ollama_end,
        ),
    ]
    if importlib.util.find_spec("llm_router.providers.anthropic") is not None:
        from llm_router.providers.anthropic import AnthropicProvider

        wires.append(
            Wire(
                "anthropic",
                lambda **kw: AnthropicProvider(model="c", api_key="k", **kw),
                dict(SSE_HEADERS),
                _anthropic_text,
                _anthropic_end,
                _anthropic_start,
            )
        )
    if importlib.util.find_spec("llm_router.providers.gemini") is not None:
        from llm_router.providers.gemini import GeminiProvider

        wires.append(
            Wire(
                "gemini",
                lambda **kw: GeminiProvider(model="g", api_key="k", **kw),
                dict(SSE_HEADERS),
                _gemini_text,
                _gemini_end,
            )
        )
    return [pytest.param(w, id=w.name) for w in wires] + [pytest.param(None, id="scripted")]


class Harness:
    """Builds the provider under test for a scenario, over the wire or scripted."""

    def __init__(
        self, wire: Wire | None, upstream: Upstream, session: aiohttp.ClientSession
    ) -> None:
        self.wire = wire
        self.upstream = upstream
        self.session = session
        self.scripted: ScriptedProvider | None = None

    def _http(
        self, body: list[Any], timeouts: Timeouts | None = None, status: int = 200
    ) -> Provider:
        assert self.wire is not None
        self.upstream.script(Reply(status=status, headers=self.wire.headers, body=body))
        return self.wire.make(
            base_url=self.upstream.url, session=self.session, timeouts=timeouts or Timeouts()
        )

    def _script(self, script: Script) -> Provider:
        self.scripted = ScriptedProvider(scripts=[script], release=asyncio.Event())
        return self.scripted

    def normal(self) -> Provider:
        if self.wire is None:
            return self._script(Script(text=TEXT, chunk_chars=3))
        return self._http(self.wire.body(PIECES))

    def cut_after_text(self) -> Provider:
        if self.wire is None:
            return self._script(
                Script(text=TEXT, chunk_chars=3, fault=Fault("connect", after_chunks=1))
            )
        return self._http([*self.wire.body(PIECES[:1], finish=False), RESET])

    def truncated(self) -> Provider:
        if self.wire is None:
            return self._script(Script(text=TEXT, fault=Fault("protocol", after_chunks=1)))
        return self._http(self.wire.body(PIECES[:1], finish=False))

    def rate_limited(self) -> Provider:
        if self.wire is None:
            return self._script(Script(fault=Fault("rate_limited", retry_after=3.0)))
        self.upstream.script(
            Reply.json(429, {"error": {"message": "slow down"}}, {"Retry-After": "3"})
        )
        return self.wire.make(base_url=self.upstream.url, session=self.session)

    def held(self) -> tuple[Provider, Callable[[], bool]]:
        """A stream that sends some text then holds; and a probe: was it closed?"""
        if self.wire is None:
            provider = self._script(Script(text=TEXT, fault=Fault("stall", after_chunks=1)))
            assert self.scripted is not None
            scripted = self.scripted
            return provider, lambda: scripted.closed == scripted.opened == 1
        gate = self.upstream.hold()
        provider = self._http([*self.wire.body(PIECES[:1], finish=False), Hold(gate)])
        return provider, self.upstream.disconnected.is_set

    def stall_first(self) -> Provider:
        if self.wire is None:
            return self._script(Script(fault=Fault("first_token_timeout")))
        gate = self.upstream.hold()
        return self._http([*self.wire.start(), Hold(gate)], timeouts=Timeouts(first_token=0.05))


@pytest.fixture(params=_wires())
def harness(
    request: pytest.FixtureRequest, upstream: Upstream, session: aiohttp.ClientSession
) -> Harness:
    """The provider-under-test builder for each wire format (and scripted)."""
    return Harness(request.param, upstream, session)


async def test_streams_text_then_one_closing_chunk(harness: Harness) -> None:
    """Text arrives intact in non-empty chunks; only the last chunk carries finish stop."""
    chunks = [c async for c in harness.normal().stream_complete(REQ)]
    assert "".join(c.text for c in chunks) == TEXT
    assert all(c.text or c.tool_calls or c.thinking for c in chunks[:-1])
    assert chunks[-1].finish_reason == "stop"
    assert all(c.finish_reason is None for c in chunks[:-1])


async def test_complete_reports_usage_and_provider(harness: Harness) -> None:
    """complete() gives the text, a usage and the provider's name."""
    provider = harness.normal()
    result = await complete(provider, REQ)
    assert result.text == TEXT and result.usage is not None and result.provider == provider.name


async def test_failure_after_text_is_stream_interrupted(harness: Harness) -> None:
    """A failure after the first chunk surfaces as StreamInterrupted with the partial text."""
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(harness.cut_after_text(), REQ)
    assert TEXT.startswith(info.value.partial.text) and info.value.partial.text
    assert isinstance(info.value.cause, errors.ProviderError)


async def test_truncated_stream_is_never_success(harness: Harness) -> None:
    """A stream without its finish signal fails with a ProtocolError cause."""
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(harness.truncated(), REQ)
    assert isinstance(info.value.cause, errors.ProtocolError)


async def test_rate_limit_before_commit(harness: Harness) -> None:
    """A 429 before any text is RateLimited with retry_after, retryable."""
    with pytest.raises(errors.RateLimited) as info:
        await complete(harness.rate_limited(), REQ)
    assert info.value.retryable and info.value.retry_after == 3.0


async def test_no_first_token_is_first_token_timeout(harness: Harness) -> None:
    """No content in time is FirstTokenTimeout, before commit."""
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(harness.stall_first(), REQ)


@pytest.mark.parametrize("how", ["break", "aclose", "cancel"])
async def test_consumer_stop_closes_the_stream(harness: Harness, how: str) -> None:
    """break, aclose() and cancellation close the provider's stream (upstream sees it)."""
    provider, closed = harness.held()
    got = asyncio.Event()

    async def consume() -> None:
        stream = provider.stream_complete(REQ)
        async for _ in stream:
            got.set()
            if how == "break":
                break
            if how == "aclose":
                await stream.aclose()  # type: ignore[attr-defined]
                return

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got.wait(), 1)
    if how == "cancel":
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        await task
    for _ in range(100):
        if closed():
            break
        await asyncio.sleep(0.005)
    assert closed()


def test_suite_covers_every_provider_module() -> None:
    """Every concrete provider module in the package has an adapter in this suite."""
    package = Path(llm_router.providers.__file__).parent
    modules = {p.stem for p in package.glob("*.py") if not p.stem.startswith("_")} - {"session"}
    assert modules == {p.id for p in _wires()}
