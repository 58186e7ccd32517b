"""Malformed and wrong-shaped events are faults, not noise (docs/DESIGN.md §1.3), for every
provider, against a real loopback upstream sending real wire bytes.

An event whose JSON does not parse, or whose fields have the wrong types, is a
``ProtocolError`` at that point of the stream: before the first chunk a retryable,
typed error; after it a ``StreamInterrupted`` carrying exactly the text delivered so
far. Never an answer "complete" with words missing, never an untyped exception, never
a wrong-typed value passed on. Well-formed events the decoder does not know are ignored.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.types import StreamChunk
from tests.providers.conftest import Reply, Upstream
from tests.providers.malformed_wires import SECRET, WIRES, Wire

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])

BY_WIRE = [pytest.param(w, id=w.name) for w in WIRES]
HOW = [pytest.param(h, id=h) for h in ("cut", "garbage")]
SHAPES = [
    pytest.param(w, payload, id=f"{w.name}-{name}")
    for w in WIRES
    for name, payload in w.wrong_shapes.items()
]


async def _chunks(
    wire: Wire, upstream: Upstream, session: aiohttp.ClientSession, body: list[bytes]
) -> tuple[list[StreamChunk], BaseException | None]:
    """What the caller received, and what the stream raised (if anything)."""
    upstream.script(Reply(headers=wire.headers, body=body))
    got: list[StreamChunk] = []
    try:
        async for chunk in wire.make(upstream.url, session).stream_complete(REQ):
            got.append(chunk)
    except Exception as exc:  # the test inspects whatever was raised
        return got, exc
    return got, None


@pytest.mark.parametrize("wire", BY_WIRE)
async def test_healthy_stream_is_complete(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire
) -> None:
    """The reference stream the faults below are cut into decodes whole."""
    upstream.script(
        Reply(
            headers=wire.headers, body=wire.body(*map(wire.text, ("Mock ", "response ", "from x.")))
        )
    )
    result = await complete(wire.make(upstream.url, session), REQ)
    assert (result.text, result.finish_reason) == ("Mock response from x.", "stop")
    assert result.usage is not None and result.usage.output_tokens == 4


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("wire", BY_WIRE)
async def test_malformed_json_replacing_content_interrupts(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire, how: str
) -> None:
    """A content event whose JSON does not parse, mid-stream, stops the stream there:
    StreamInterrupted with the text before it — never the other words and a finish."""
    body = wire.body(wire.text("Mock "), wire.broken("response ", how), wire.text("from x."))
    got, exc = await _chunks(wire, upstream, session, body)
    assert [c.text for c in got] == ["Mock "]
    assert isinstance(exc, errors.StreamInterrupted)
    assert exc.partial.text == "Mock " and exc.partial.provider == wire.name
    assert isinstance(exc.cause, errors.ProtocolError)
    assert "invalid JSON" in exc.cause.message and exc.cause.provider == wire.name


@pytest.mark.parametrize("wire", BY_WIRE)
async def test_malformed_json_before_commit_is_retryable_protocol_error(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire
) -> None:
    """Before the first chunk the same fault is a ProtocolError that may be retried and
    failed over (the caller has seen nothing)."""
    body = wire.body(wire.broken("Mock ", "cut"), wire.text("response"))
    got, exc = await _chunks(wire, upstream, session, body)
    assert got == []
    assert isinstance(exc, errors.ProtocolError) and exc.retryable and exc.fails_over
    assert exc.provider == wire.name


@pytest.mark.parametrize(("wire", "payload"), SHAPES)
async def test_wrong_shape_after_commit_interrupts_with_partial(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire, payload: Any
) -> None:
    """A valid-JSON event of the wrong shape after text: StreamInterrupted(ProtocolError)
    with the partial answer; the message names the field, never a value of the event."""
    body = wire.body(wire.text("Mock "), wire.event(payload), wire.text("from x."))
    got, exc = await _chunks(wire, upstream, session, body)
    assert [c.text for c in got] == ["Mock "]
    assert isinstance(exc, errors.StreamInterrupted), repr(exc)
    assert exc.partial.text == "Mock "
    cause = exc.cause
    assert isinstance(cause, errors.ProtocolError) and cause.provider == wire.name
    assert cause.message.startswith("malformed event: ")
    assert SECRET not in str(exc) and SECRET not in repr(cause)


@pytest.mark.parametrize(("wire", "payload"), SHAPES)
async def test_wrong_shape_before_commit_is_protocol_error(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire, payload: Any
) -> None:
    """The same events before any text: a typed, retryable ProtocolError, nothing yielded."""
    got, exc = await _chunks(
        wire, upstream, session, wire.body(wire.event(payload), wire.text("a"))
    )
    assert got == []
    assert isinstance(exc, errors.ProtocolError), repr(exc)
    assert exc.retryable and SECRET not in str(exc)


@pytest.mark.parametrize("wire", BY_WIRE)
async def test_unknown_well_formed_events_are_ignored(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire
) -> None:
    """New event types, unknown fields and parts, SSE comments, keep-alives and empty
    events are consumed; the answer is whole and every chunk carries a string."""
    body = wire.body(*wire.unknown, wire.text("Mock "), *wire.unknown, wire.text("response."))
    got, exc = await _chunks(wire, upstream, session, body)
    assert exc is None
    assert "".join(c.text for c in got) == "Mock response."
    assert all(type(c.text) is str and type(c.thinking) is str for c in got)
    assert got[-1].finish_reason == "stop"


@pytest.mark.parametrize("wire", BY_WIRE)
def test_decoder_raises_only_protocol_errors(wire: Wire) -> None:
    """Called directly, each decoder turns every wrong shape into a ProtocolError that
    names the provider (no AttributeError, ValueError, KeyError or TypeError escapes)."""
    provider = wire.make("http://127.0.0.1:9", None)  # no I/O: the decoder alone
    for payload in wire.wrong_shapes.values():
        decoder = provider.new_decoder("m")
        with pytest.raises(errors.ProtocolError) as info:
            for item in (*wire.head, wire.piece("a"), payload):
                decoder.decode("", item)
        assert str(info.value).startswith(f"{wire.name}: malformed event: ")
