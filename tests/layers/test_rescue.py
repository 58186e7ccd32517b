"""Stream rescue after the commit point (DESIGN §4.5), over real loopback HTTP.

A primary upstream breaks a stream it has begun (cut, reset, stall, malformed or
wrong-shaped event, error event); the router continues it with a prefill or replays it,
verifies the seam, and the caller receives exactly one complete answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from llm_router import ChatRequest, complete
from llm_router._aio import closing
from llm_router.accumulate import Accumulator
from llm_router.builder import RouteEntry, build_router
from llm_router.capabilities import Capabilities
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig, Timeouts
from llm_router.errors import ConnectError, ProtocolError, StreamInterrupted
from llm_router.layers.routing import Router
from llm_router.observe import Rescued
from llm_router.providers.openai import OpenAIProvider
from llm_router.types import StreamChunk
from tests.providers.conftest import RESET, Hold, Reply, Step, Upstream, sse, started

WORDS = ["The ", "quick ", "brown ", "fox ", "jumps ", "over ", "the ", "dog."]
PREFILL_FLAGS = {"continue_final_message": True, "add_generation_prompt": False}
ANSWER = "".join(WORDS)
REQUEST = ChatRequest(messages=[{"role": "user", "content": "Tell me about the fox."}])


def delta(**d: Any) -> bytes:
    return sse({"id": "c", "model": "m", "choices": [{"index": 0, "delta": d}]})


def finish(reason: str = "stop") -> list[bytes]:
    usage = {"prompt_tokens": 5, "completion_tokens": 8, "total_tokens": 13}
    end = {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}
    return [sse(end), sse({"id": "c", "choices": [], "usage": usage}), b"data: [DONE]\n\n"]


def words(ws: Sequence[str]) -> list[bytes]:
    return [delta(role="assistant", content=""), *(delta(content=w) for w in ws)]


def full(ws: Sequence[str] = WORDS) -> Reply:
    return Reply(body=[*words(ws), *finish()])


def broken(n: int, *fault: Step) -> Reply:
    """The first ``n`` words, then ``fault`` (nothing more: an EOF without finish)."""
    return Reply(body=[*words(WORDS[:n]), *fault])


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """The primary loopback upstream."""
    async with started() as up:
        yield up


@pytest.fixture
async def second() -> AsyncIterator[Upstream]:
    """A second loopback upstream (the fallback)."""
    async with started() as up:
        yield up


def provider(
    up: Upstream, name: str, *, prefill: bool = False, idle: float = 5.0, first_token: float = 5.0
) -> OpenAIProvider:
    timeouts = Timeouts(connect=2.0, first_token=first_token, idle=idle, total=10.0)
    return OpenAIProvider(
        base_url=up.url + "/v1",
        api_key="k",
        model=name,
        name=name,
        timeouts=timeouts,
        prefill=prefill,
    )


def router(*providers: OpenAIProvider, rescue: RescueConfig | None = None, **kw: Any) -> Router:
    return build_router(
        {"default": list(providers)},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
        detector=lambda r: _Detection(),
        **({} if rescue is None else {"rescue": rescue}),
        **kw,
    )


class _Detection:
    task = "chat"
    score = 1.0
    signals: tuple[str, ...] = ()


async def collect(r: Router, request: ChatRequest = REQUEST) -> list[StreamChunk]:
    out: list[StreamChunk] = []
    async with r, closing(r.stream_complete(request)) as stream:
        async for chunk in stream:
            out.append(chunk)
    return out


def text(chunks: Sequence[StreamChunk]) -> str:
    return "".join(c.text for c in chunks)


FAULTS = {
    "cut": (),
    "reset": (RESET,),
    "malformed": (b'data: {"id": "c", "choices": [{"delta": {"content": "fo\n\n',),
    "wrong-shape": (sse({"id": "c", "choices": [{"delta": {"content": 5}}]}),),
    "error-event": (sse({"error": {"message": "overloaded", "type": "server_error"}}),),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_replay_on_the_same_deployment_completes_the_answer(
    upstream: Upstream, fault: str
) -> None:
    upstream.script(broken(3, *FAULTS[fault]), full())
    out = await collect(router(provider(upstream, "a")))
    assert text(out) == ANSWER
    assert out[-1].finish_reason == "stop"
    assert len(upstream.requests) == 2
    assert upstream.requests[0].json["messages"] == upstream.requests[1].json["messages"]


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_continue_with_a_prefill_completes_the_answer(upstream: Upstream, fault: str) -> None:
    upstream.script(broken(3, *FAULTS[fault]), full(WORDS[3:]))
    out = await collect(router(provider(upstream, "a", prefill=True)))
    assert text(out) == ANSWER
    sent = upstream.requests[1].json["messages"]
    # trailing whitespace is left out of the prefill (Anthropic refuses it)
    assert sent[-1] == {"role": "assistant", "content": "".join(WORDS[:3]).rstrip()}
    # vLLM continues a final assistant message only when told so (llama.cpp takes it too)
    flags = [{k: r.json.get(k) for k in PREFILL_FLAGS} for r in upstream.requests]
    assert flags == [dict.fromkeys(PREFILL_FLAGS), {**PREFILL_FLAGS}]


async def test_continue_does_not_double_the_whitespace_left_out_of_the_prefill(
    upstream: Upstream,
) -> None:
    upstream.script(broken(3), full([" fox ", *WORDS[4:]]))
    out = await collect(router(provider(upstream, "a", prefill=True)))
    assert text(out) == ANSWER


async def test_continue_trims_a_continuation_that_repeats_the_delivered_text(
    upstream: Upstream,
) -> None:
    upstream.script(broken(3), full(["The quick brown fox ", "jumps over the dog."]))
    out = await collect(router(provider(upstream, "a", prefill=True)))
    assert text(out) == ANSWER


async def test_continue_trims_the_prefill_echoed_as_llama_server_does(upstream: Upstream) -> None:
    """llama.cpp's server sends the prefill back in its first delta, with the next token
    (seen against llama-server). The prefill left the delivered newline out, and the
    model goes on the same line: the echo is trimmed, and the space it opens with too."""
    upstream.script(
        Reply(body=words(["Sure.", "\n"])),  # cut before a finish
        full(["Sure. Here", " it is."]),
    )
    out = await collect(router(provider(upstream, "a", prefill=True)))
    assert text(out) == "Sure.\nHere it is."
    assert upstream.requests[1].json["messages"][-1] == {"role": "assistant", "content": "Sure."}


async def test_continue_asks_only_for_what_is_left_of_max_tokens(upstream: Upstream) -> None:
    """The caller's ``max_tokens`` caps the whole answer, not each stream: after three
    delivered words (16 characters, 4 tokens by the estimate) a continuation may add 6
    tokens, not 10 more."""
    upstream.script(broken(3), full(WORDS[3:]))
    request = REQUEST.replace(max_tokens=10)
    out = await collect(router(provider(upstream, "a", prefill=True)), request)
    assert text(out) == ANSWER
    assert [r.json["max_tokens"] for r in upstream.requests] == [10, 6]


async def test_without_a_max_tokens_the_continuation_has_none(upstream: Upstream) -> None:
    upstream.script(broken(3), full(WORDS[3:]))
    out = await collect(router(provider(upstream, "a", prefill=True)))
    assert text(out) == ANSWER
    assert ["max_tokens" in r.json for r in upstream.requests] == [False, False]


async def test_output_that_used_max_tokens_up_is_replayed_not_continued(
    upstream: Upstream,
) -> None:
    """Cut after as many tokens as the caller allowed: a continuation could add nothing
    (and ``max_tokens: 0`` is refused), so the replay, capped like the original, runs."""
    upstream.script(broken(3), full())
    request = REQUEST.replace(max_tokens=4)
    out = await collect(router(provider(upstream, "a", prefill=True)), request)
    assert text(out) == ANSWER
    sent = [r.json for r in upstream.requests]
    assert sent[1]["messages"] == sent[0]["messages"]  # a replay: no prefill
    assert [s["max_tokens"] for s in sent] == [4, 4]


JSON_WORDS = ['{"name": ', '"Ada", ', '"city": ', '"Oslo"}']
SCHEMA = {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "object"}}}


@pytest.mark.parametrize(
    "extra",
    [
        {"response_format": SCHEMA},
        {"response_format": {"type": "json_object"}},
        {"guided_json": {"type": "object"}},  # vLLM's own option, through ChatRequest.extra
        {"grammar": "root ::= object"},  # llama.cpp's
    ],
    ids=["json_schema", "json_object", "guided_json", "grammar"],
)
async def test_an_answer_under_a_schema_or_grammar_is_replayed_never_continued(
    upstream: Upstream, extra: dict[str, Any]
) -> None:
    """vLLM and SGLang apply a schema to the new tokens alone: after a prefill they start
    a new document, which a continue would glue to the delivered half of this one. The
    replay, checked byte for byte, is what rescues it: no prefill is ever sent."""
    upstream.script(Reply(body=words(JSON_WORDS[:2])), full(JSON_WORDS))
    request = REQUEST.replace(extra=extra)
    out = await collect(router(provider(upstream, "a", prefill=True)), request)
    assert json.loads(text(out)) == {"name": "Ada", "city": "Oslo"}
    assert [len(r.json["messages"]) for r in upstream.requests] == [1, 1]


async def test_a_plain_text_format_still_continues(upstream: Upstream) -> None:
    upstream.script(broken(3), full(WORDS[3:]))
    request = REQUEST.replace(extra={"response_format": {"type": "text"}})
    out = await collect(router(provider(upstream, "a", prefill=True)), request)
    assert text(out) == ANSWER
    assert upstream.requests[1].json["messages"][-1]["role"] == "assistant"


async def test_a_refused_prefill_moves_on_to_replay_and_never_masks_the_cause(
    upstream: Upstream, second: Upstream
) -> None:
    upstream.script(broken(3, RESET), full())
    refusal = {"error": {"message": "assistant prefill is not supported", "type": "invalid"}}
    second.script(Reply.json(400, refusal))
    out = await collect(router(provider(upstream, "a"), provider(second, "b", prefill=True)))
    assert text(out) == ANSWER
    assert len(second.requests) == 1 and len(upstream.requests) == 2


async def test_when_every_rescue_fails_the_original_cause_surfaces(
    upstream: Upstream, second: Upstream
) -> None:
    upstream.script(broken(3, RESET), Reply.json(503, {"error": {"message": "down"}}))
    second.script(Reply.json(400, {"error": {"message": "no prefill here"}}))
    r = router(provider(upstream, "a"), provider(second, "b", prefill=True))
    with pytest.raises(StreamInterrupted) as info:
        await collect(r)
    exc = info.value
    assert exc.partial.text == "".join(WORDS[:3])
    # the reset that broke the stream, not the refused prefill nor the replay's 503
    assert isinstance(exc.cause, ProtocolError | ConnectError) and exc.cause.status is None
    assert [(a.deployment, a.strategy, a.outcome) for a in exc.rescues] == [
        ("b", "continue", "rejected"),
        ("a", "replay", "failed"),
    ]


async def test_a_stall_is_replayed_on_the_next_candidate_first(
    upstream: Upstream, second: Upstream
) -> None:
    upstream.script(broken(3, Hold(upstream.hold())), full())
    second.script(full())
    out = await collect(router(provider(upstream, "a", idle=0.05), provider(second, "b")))
    assert text(out) == ANSWER
    assert (len(upstream.requests), len(second.requests)) == (1, 1)


async def test_a_diverging_replay_is_closed_at_once_and_the_next_option_tried(
    upstream: Upstream, second: Upstream
) -> None:
    gate = upstream.hold()
    diverging = Reply(body=[*words(["The ", "slow "]), Hold(gate), *finish()])
    upstream.script(broken(3, RESET), diverging)
    second.script(full())
    out = await collect(router(provider(upstream, "a"), provider(second, "b")))
    assert text(out) == ANSWER
    await asyncio.wait_for(upstream.disconnected.wait(), 1.0)  # closed, not left hanging
    assert not gate.is_set()


async def test_a_tool_call_cut_inside_its_arguments_is_replayed_with_its_id(
    upstream: Upstream,
) -> None:
    def call(i: int, **f: Any) -> bytes:
        return delta(
            tool_calls=[
                {
                    "index": 0,
                    **({"id": f"call_{i}", "type": "function"} if f.get("name") else {}),
                    "function": f,
                }
            ]
        )

    first = [delta(role="assistant"), call(1, name="get_weather", arguments='{"ci')]
    rest = [call(1, arguments='ty": "Pa'), call(1, arguments='ris"}')]
    upstream.script(
        Reply(body=[*first, rest[0], RESET]),
        Reply(
            body=[
                delta(role="assistant"),
                call(2, name="get_weather", arguments='{"ci'),
                *rest,
                *finish("tool_calls"),
            ]
        ),
    )
    acc = Accumulator()
    for chunk in await collect(router(provider(upstream, "a"))):
        acc.add(chunk)
    out = acc.build()
    [tool] = out.tool_calls
    assert (tool.id, tool.name, json.loads(tool.arguments)) == (
        "call_1",
        "get_weather",
        {"city": "Paris"},
    )
    assert out.finish_reason == "tool_calls"


async def test_a_rescue_that_breaks_again_is_rescued_from_the_new_point(
    upstream: Upstream,
) -> None:
    upstream.script(broken(2, RESET), broken(5, RESET), full())
    out = await collect(router(provider(upstream, "a")))
    assert text(out) == ANSWER
    assert len(upstream.requests) == 3


@pytest.mark.parametrize("fault", ["cut", "reset", "malformed"])
async def test_a_replay_that_breaks_before_the_seam_is_tried_again_within_max(
    upstream: Upstream, fault: str
) -> None:
    """One deployment, so one replay option: a replay cut before it has reproduced the
    delivered text does not end the rescue while ``max`` allows another stream (seen
    against llmock's random stream faults: with one candidate ``max`` was never used)."""
    upstream.script(broken(3, RESET), broken(2, *FAULTS[fault]), full())
    out = await collect(router(provider(upstream, "a")))
    assert text(out) == ANSWER
    assert len(upstream.requests) == 3


@pytest.mark.parametrize(
    "refusal",
    [
        Reply.json(503, {"error": {"message": "busy", "type": "server_error"}}),
        Reply.json(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0"}),
    ],
    ids=["503", "429"],
)
async def test_a_replay_that_fails_to_open_on_a_passing_fault_goes_again_within_max(
    upstream: Upstream, refusal: Reply
) -> None:
    """Seen with llmock's random faults: the replay met a 503 after its retries, and
    with one deployment the rescue ended there with ``max`` unused, the answer cut."""
    upstream.script(broken(3, RESET), refusal, full())
    out = await collect(router(provider(upstream, "a")))
    assert text(out) == ANSWER
    assert len(upstream.requests) == 3


@pytest.mark.parametrize(
    ("after", "deadline"), [("5", 2.0), ("30", None)], ids=["past-the-deadline", "too-long"]
)
async def test_a_retry_after_too_long_to_wait_ends_the_rescue(
    upstream: Upstream, after: str, deadline: float | None
) -> None:
    """A replay refused with a ``Retry-After`` goes again only once it has passed (llmock
    flags an earlier retry): past the deadline, or over 20 s, the rescue ends at once."""
    limited = Reply.json(429, {"error": {"message": "slow down"}}, headers={"Retry-After": after})
    upstream.script(broken(3, RESET), limited, full())
    request = REQUEST.replace(deadline_s=deadline)
    with pytest.raises(StreamInterrupted) as info:
        await collect(router(provider(upstream, "a")), request)
    assert [(a.strategy, a.outcome) for a in info.value.rescues] == [("replay", "failed")]
    assert len(upstream.requests) == 2


async def test_a_replay_that_stalls_on_open_is_not_tried_again(upstream: Upstream) -> None:
    """A stall would cost its timeout again: the rescue ends, ``max`` or not."""
    hold = asyncio.Event()
    upstream.script(broken(3, RESET), Reply(body=[Hold(hold)]), full())
    with pytest.raises(StreamInterrupted) as info:
        await collect(router(provider(upstream, "a", first_token=0.05)))
    hold.set()
    assert [(a.strategy, a.outcome) for a in info.value.rescues] == [("replay", "failed")]
    assert len(upstream.requests) == 2


async def test_replays_that_keep_breaking_stop_at_max(upstream: Upstream) -> None:
    upstream.script(broken(3, RESET), broken(2, RESET), broken(1, RESET), full())
    with pytest.raises(StreamInterrupted) as info:
        await collect(router(provider(upstream, "a"), rescue=RescueConfig(max=2)))
    assert [(a.strategy, a.outcome) for a in info.value.rescues] == [("replay", "failed")] * 2
    assert len(upstream.requests) == 3  # the broken stream and two replays, no more


async def test_a_diverging_replay_is_not_tried_again(upstream: Upstream) -> None:
    """A deployment that answers differently would do it again: one replay, however
    large ``max``."""
    upstream.script(broken(3, RESET), full(["The ", "slow ", "fox."]), full())
    with pytest.raises(StreamInterrupted) as info:
        await collect(router(provider(upstream, "a"), rescue=RescueConfig(max=5)))
    assert [(a.strategy, a.outcome) for a in info.value.rescues] == [("replay", "diverged")]
    assert len(upstream.requests) == 2


async def test_rescue_off_surfaces_the_interruption(upstream: Upstream) -> None:
    upstream.script(broken(3, RESET), full())
    with pytest.raises(StreamInterrupted) as info:
        await collect(router(provider(upstream, "a"), rescue=RescueConfig.off()))
    assert info.value.partial.text == "".join(WORDS[:3]) and info.value.rescues == ()
    assert len(upstream.requests) == 1


async def test_a_caller_that_cancels_mid_rescue_closes_the_rescue_upstream(
    upstream: Upstream,
) -> None:
    gate = upstream.hold()
    upstream.script(broken(3, RESET), Reply(body=[*words(WORDS[:2]), Hold(gate)]))
    r = router(provider(upstream, "a"))
    got: list[str] = []

    async def consume() -> None:
        async for chunk in r.stream_complete(REQUEST):
            got.append(chunk.text)

    async with r:
        task = asyncio.create_task(consume())
        while len(upstream.requests) < 2:
            await asyncio.wait_for(upstream.received.wait(), 1.0)
            upstream.received.clear()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(upstream.disconnected.wait(), 0.1)
    assert "".join(got) == "".join(WORDS[:3])


async def test_a_non_streaming_call_restarts_a_broken_stream_even_without_rescue(
    upstream: Upstream,
) -> None:
    upstream.script(broken(3, RESET), full())
    r = router(provider(upstream, "a"), rescue=RescueConfig.off())
    async with r:
        out = await complete(r, REQUEST)
    assert out.text == ANSWER and out.finish_reason == "stop"


async def test_a_stall_then_close_is_rescued(upstream: Upstream) -> None:
    gate = upstream.hold()
    upstream.script(broken(3, Hold(gate)), full())
    r = router(provider(upstream, "a"))
    got: list[str] = []
    async with r, closing(r.stream_complete(REQUEST)) as stream:
        async for chunk in stream:
            got.append(chunk.text)
            if len(got) == 3:
                gate.set()  # the upstream, held after three words, now closes (EOF)
    assert "".join(got) == ANSWER


async def test_each_rescue_attempt_is_an_event_for_metrics_and_logs(
    upstream: Upstream, second: Upstream
) -> None:
    events: list[Rescued] = []
    upstream.script(broken(3, RESET), Reply.json(503, {"error": {"message": "down"}}))
    second.script(full())
    r = build_router(
        {"default": [provider(upstream, "a"), provider(second, "b")]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
        detector=lambda r: _Detection(),
        hook=lambda e: events.append(e) if isinstance(e, Rescued) else None,
    )
    assert text(await collect(r)) == ANSWER
    assert [(e.from_provider, e.provider, e.strategy, e.outcome) for e in events] == [
        ("a", "a", "replay", "failed"),
        ("a", "b", "replay", "rescued"),
    ]
    assert events[1].delivered_chars == len("".join(WORDS[:3]))
    assert events[1].extra_chars == len("".join(WORDS[:3]))  # the replayed prefix


async def test_rescue_stops_at_the_request_deadline(upstream: Upstream) -> None:
    gate = upstream.hold()
    upstream.script(broken(3, RESET), Reply(body=[Hold(gate)]))
    r = build_router(
        {"default": [provider(upstream, "a")]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
        detector=lambda r: _Detection(),
        deadline_s=0.2,
    )
    with pytest.raises(StreamInterrupted) as info:
        await collect(r)
    assert [(a.strategy, a.outcome) for a in info.value.rescues] == [("replay", "failed")]
    assert "DeadlineExceeded" in (info.value.rescues[0].error or "")


async def test_an_open_breaker_skips_a_rescue_option_without_using_up_max(
    upstream: Upstream, second: Upstream
) -> None:
    """max=1: the same deployment's breaker is open (it just failed, fail_max=1), so
    its replay is refused without I/O and the one rescue stream goes to `b`."""
    upstream.script(broken(3, RESET))
    second.script(full())
    r = build_router(
        {"default": [provider(upstream, "a"), provider(second, "b")]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=1),
        detector=lambda r: _Detection(),
        rescue=RescueConfig(max=1),
    )
    assert text(await collect(r)) == ANSWER
    assert (len(upstream.requests), len(second.requests)) == (1, 1)


async def test_a_candidate_that_cannot_serve_the_request_never_rescues_it(
    upstream: Upstream, second: Upstream
) -> None:
    """The request has an image part; `b` declares no vision: after `a` breaks and its
    replays fail (a 503 is worth another stream within ``max``), `b` is not asked, and
    the original failure surfaces."""
    down = Reply.json(503, {"error": {"message": "down"}})
    upstream.script(broken(3, RESET), down, down)
    second.script(full())
    blind = RouteEntry(provider(second, "b"), capabilities=Capabilities(vision=False))
    r = build_router(
        {"default": [provider(upstream, "a"), blind]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
        detector=lambda r: _Detection(),
    )
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    request = ChatRequest(
        messages=[{"role": "user", "content": [{"type": "text", "text": "What is it?"}, image]}]
    )
    with pytest.raises(StreamInterrupted) as info:
        await collect(r, request)
    assert [a.deployment for a in info.value.rescues] == ["a", "a"]
    assert second.requests == []
    assert "connection lost while streaming" in str(info.value.cause)  # not the 503


async def test_a_continuation_that_starts_the_answer_over_is_not_appended(
    upstream: Upstream, second: Upstream
) -> None:
    """Found against llmock, which ignores a prefill: the continue rescue on the other
    deployment answered anew, and the caller read two answers one after the other. Now
    it diverges (nothing of it delivered) and the replay on the first completes."""
    events: list[Rescued] = []
    upstream.script(broken(5, RESET), full())
    second.script(full(["The quick brown ", "cat sleeps."]))
    r = build_router(
        {"default": [provider(upstream, "a"), provider(second, "b", prefill=True)]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
        detector=lambda r: _Detection(),
        hook=lambda e: events.append(e) if isinstance(e, Rescued) else None,
    )
    out = await collect(r)
    assert text(out) == ANSWER and out[-1].finish_reason == "stop"
    assert [(e.provider, e.strategy, e.outcome) for e in events] == [
        ("b", "continue", "diverged"),
        ("a", "replay", "rescued"),
    ]
    assert len(second.requests) == 1 and len(upstream.requests) == 2


@pytest.mark.parametrize("rescue", [None, RescueConfig.off()], ids=["rescue-on", "rescue-off"])
async def test_a_stream_lost_after_its_finish_is_whole_and_not_rescued(
    upstream: Upstream, second: Upstream, rescue: RescueConfig | None
) -> None:
    """Found against llmock (a disconnect after the finish chunk, before the usage
    chunk): the answer was rescued (a second one appended) or, without rescue,
    reported broken. The finish signal makes it whole (SPEC §1.3)."""
    upstream.script(Reply(body=[*words(WORDS), finish()[0], RESET]))
    second.script(full(["Another ", "answer."]))
    r = router(provider(upstream, "a", prefill=True), provider(second, "b"), rescue=rescue)
    out = await collect(r)
    assert text(out) == ANSWER and out[-1].finish_reason == "stop"
    assert len(upstream.requests) == 1 and second.requests == []


@pytest.mark.parametrize("opted_in", [False, True], ids=["default", "route-opts-in"])
async def test_a_content_refusal_mid_answer_is_rescued_only_where_the_route_fails_over(
    upstream: Upstream, second: Upstream, opted_in: bool
) -> None:
    """A content filter's refusal after the first chunk is not routed around by a
    rescue on another deployment, as it would not be failed over before it (SPEC
    §1.3), unless the route opts in to failing over on a refusal."""
    refusal = sse({"error": {"message": "filtered", "type": "content_filter"}})
    upstream.script(broken(3, refusal))
    second.script(full())
    opt_in = ("default",) if opted_in else ()
    r = router(provider(upstream, "a"), provider(second, "b"), failover_on_content_filter=opt_in)
    if opted_in:
        assert text(await collect(r)) == ANSWER
        assert len(second.requests) == 1
        return
    with pytest.raises(StreamInterrupted) as info:
        await collect(r)
    assert type(info.value.cause).__name__ == "ContentFiltered"
    assert info.value.partial.text == "".join(WORDS[:3]) and info.value.rescues == ()
    assert second.requests == [] and len(upstream.requests) == 1
