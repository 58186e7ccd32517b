"""A fault after the finish signal loses no answer (SPEC §1.3), over real loopback HTTP.

Once a stream's finish signal is in (OpenAI: a ``finish_reason``; Anthropic: a
``message_delta`` with a ``stop_reason``), the answer is whole; what may follow is a
trailer (the usage chunk, ``message_stop``, ``[DONE]``). A connection reset there, an
event that does not parse or an error event ends the stream as the trailer's grace
running out does: the caller gets the whole answer with its finish reason, never a
``StreamInterrupted`` (which a router would rescue by appending a second answer, as
found against llmock's ``disconnect`` fault after the finish chunk). A fault in the
finishing event itself still interrupts: it may have carried the last words.
"""

from __future__ import annotations

import aiohttp
import pytest

from llm_router import ChatRequest, complete, errors
from tests.providers.conftest import RESET, Reply, Step, Upstream, sse
from tests.providers.malformed_wires import ANTHROPIC, OPENAI, Wire

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
PIECES = ("Mock ", "response ", "from x.")

# (wire, how many events of its tail make the finish signal)
WIRES = [pytest.param(OPENAI, 1, id="openai"), pytest.param(ANTHROPIC, 2, id="anthropic")]


def _faults(wire: Wire) -> dict[str, Step]:
    error = (
        {"error": {"message": "overloaded", "type": "server_error"}}
        if wire is OPENAI
        else {"type": "error", "error": {"type": "overloaded_error", "message": "overloaded"}}
    )
    trailer = wire.event(wire.tail[-2] if wire is OPENAI else wire.tail[-1])
    end = trailer.rindex(b"}")
    return {
        "reset": RESET,
        "garbage": b"data: {not json at all\n\n",
        "cut-trailer": trailer[:end] + trailer[end + 1 :],  # its JSON loses the last brace
        "error-event": wire.event(error),
    }


def _finished(wire: Wire, finish_events: int) -> list[bytes]:
    """The stream up to and with its finish signal (the trailer left out)."""
    whole = wire.body(*map(wire.text, PIECES))
    return whole[: len(whole) - len(wire.tail) + finish_events]


@pytest.mark.parametrize("fault", ["reset", "garbage", "cut-trailer", "error-event"])
@pytest.mark.parametrize(("wire", "finish_events"), WIRES)
async def test_a_fault_after_the_finish_signal_ends_the_answer_whole(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    wire: Wire,
    finish_events: int,
    fault: str,
) -> None:
    body = [*_finished(wire, finish_events), _faults(wire)[fault]]
    upstream.script(Reply(headers=wire.headers, body=body))
    chunks = [c async for c in wire.make(upstream.url, session).stream_complete(REQ)]
    assert "".join(c.text for c in chunks) == "".join(PIECES)
    assert chunks[-1].finish_reason == "stop"
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(("wire", "finish_events"), WIRES)
async def test_a_reset_after_the_finish_signal_keeps_what_the_stream_had_reported(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire, finish_events: int
) -> None:
    """Usage the lost trailer would have brought is unknown, not invented; what came
    before it stays (Anthropic's output tokens come with its finish signal)."""
    upstream.script(Reply(headers=wire.headers, body=[*_finished(wire, finish_events), RESET]))
    result = await complete(wire.make(upstream.url, session), REQ)
    assert result.text == "".join(PIECES)
    if wire is OPENAI:
        assert result.usage is None
    else:
        assert result.usage is not None and result.usage.output_tokens == 4


async def test_a_fault_inside_the_finishing_event_still_interrupts(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The finish chunk itself is part of the answer: a wrong shape there is a fault."""
    finishing = {
        "choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": "many"},
    }
    body = [*OPENAI.body(*map(OPENAI.text, PIECES))[: -len(OPENAI.tail)], sse(finishing)]
    upstream.script(Reply(headers=OPENAI.headers, body=body))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(OPENAI.make(upstream.url, session), REQ)
    assert info.value.partial.text == "".join(PIECES)
    assert isinstance(info.value.cause, errors.ProtocolError)


@pytest.mark.parametrize(("wire", "finish_events"), WIRES)
async def test_a_reset_before_the_finish_signal_still_interrupts(
    upstream: Upstream, session: aiohttp.ClientSession, wire: Wire, finish_events: int
) -> None:
    """The same reset one event earlier, before the finish: a truncated answer."""
    body = [*_finished(wire, finish_events)[:-1], RESET]
    upstream.script(Reply(headers=wire.headers, body=body))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(wire.make(upstream.url, session), REQ)
    assert info.value.partial.text == "".join(PIECES)
