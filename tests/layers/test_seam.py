"""The seams of stream rescue: a replay verified against the delivered output, and a
prefilled continuation with its overlap trimmed."""

from __future__ import annotations

import pytest

from llm_router.layers.routing._seam import ContinueSeam, Delivered, Diverged, ReplaySeam
from llm_router.types import StreamChunk, ToolCallDelta


def chunk(text: str = "", *calls: ToolCallDelta, finish: bool = False) -> StreamChunk:
    return StreamChunk(
        text, "p", "m", tool_calls=tuple(calls), finish_reason="stop" if finish else None
    )


def feed_all(seam: ReplaySeam, chunks: list[StreamChunk]) -> list[StreamChunk]:
    out = []
    for c in chunks:
        got = seam.feed(c)
        if got is not None:
            out.append(got)
    return out


def test_replay_delivers_only_what_follows_the_delivered_text() -> None:
    seam = ReplaySeam(Delivered([chunk("Hello, "), chunk("wor")]))
    out = feed_all(seam, [chunk("Hel"), chunk("lo, w"), chunk("orld"), chunk("!", finish=True)])
    assert "".join(c.text for c in out) == "ld!"
    assert out[-1].finish_reason == "stop"
    assert seam.passed and seam.reproduced_chars == len("Hello, wor")


def test_replay_diverges_at_the_first_different_character() -> None:
    seam = ReplaySeam(Delivered([chunk("The answer is 42")]))
    assert seam.feed(chunk("The ans")) is None
    with pytest.raises(Diverged, match="character 7"):
        seam.feed(chunk("wer was 41"))


def test_replay_that_finishes_short_diverges() -> None:
    seam = ReplaySeam(Delivered([chunk("one two three")]))
    assert seam.feed(chunk("one two")) is None
    with pytest.raises(Diverged, match="finished"):
        seam.feed(chunk("", finish=True))


def test_replay_finishing_exactly_at_the_seam_delivers_the_finish() -> None:
    seam = ReplaySeam(Delivered([chunk("done.")]))
    out = feed_all(seam, [chunk("done."), chunk("", finish=True)])
    assert [(c.text, c.finish_reason) for c in out] == [("", "stop")]


def test_replay_of_a_tool_call_cut_inside_its_arguments_maps_the_id() -> None:
    delivered = Delivered(
        [
            chunk("Checking."),
            chunk("", ToolCallDelta(0, "call_A", "get_weather", '{"ci')),
            chunk("", ToolCallDelta(0, None, None, 'ty": "Pa')),
        ]
    )
    seam = ReplaySeam(delivered)
    out = feed_all(
        seam,
        [
            chunk("Checking."),
            chunk("", ToolCallDelta(0, "call_B", "get_weather", '{"city')),
            chunk("", ToolCallDelta(0, None, None, '": "Paris"}')),
            chunk("", ToolCallDelta(1, "call_C", "get_time", "{}")),
            chunk("", finish=True),
        ],
    )
    calls = [d for c in out for d in c.tool_calls]
    assert calls[0] == ToolCallDelta(0, None, None, 'ris"}')
    assert calls[1] == ToolCallDelta(1, "call_C", "get_time", "{}")  # a new call keeps its id
    assert all(d.id != "call_B" for d in calls)


def test_replay_with_a_different_tool_name_diverges() -> None:
    seam = ReplaySeam(Delivered([chunk("", ToolCallDelta(0, "a", "search", '{"q'))]))
    with pytest.raises(Diverged, match="names"):
        seam.feed(chunk("", ToolCallDelta(0, "b", "lookup", '{"q')))


def test_replay_with_new_text_before_the_delivered_tool_call_diverges() -> None:
    seam = ReplaySeam(Delivered([chunk("Hi."), chunk("", ToolCallDelta(0, "a", "f", "{"))]))
    with pytest.raises(Diverged, match="went on"):
        seam.feed(chunk("Hi. And more"))


def continue_out(delivered: str, pieces: list[str], **kw: int) -> str:
    seam = ContinueSeam(delivered, **kw)
    out: list[StreamChunk] = []
    for i, piece in enumerate(pieces):
        out += seam.feed(chunk(piece, finish=i == len(pieces) - 1))
    out += seam.flush()
    return "".join(c.text for c in out)


def test_continue_passes_a_clean_continuation_through() -> None:
    assert continue_out("The quick brown", [" fox", " jumps."]) == " fox jumps."


def test_continue_trims_a_repeat_of_the_whole_delivered_text() -> None:
    text = "The quick brown"
    assert continue_out(text, ["The quick", " brown fox", " jumps."]) == " fox jumps."


def test_continue_trims_a_repeated_tail() -> None:
    text = "First sentence. The second one is"
    assert continue_out(text, [" second one is", " here."]) == " here."


def test_continue_keeps_a_short_coincidental_match() -> None:
    # "ha" + "ha!" is a laugh, not a repeat: overlaps under min_overlap stay
    assert continue_out("Well, ha", ["ha!"]) == "ha!"


def test_continue_releases_at_once_when_no_overlap_is_possible() -> None:
    seam = ContinueSeam("Some delivered text")
    assert [c.text for c in seam.feed(chunk("Zebra"))] == ["Zebra"]
    assert seam.passed and seam.trimmed == 0


@pytest.mark.parametrize(
    ("chunks", "tokens"),
    [
        pytest.param([chunk("a"), chunk("b"), chunk("c")], 3, id="one-token-chunks"),
        pytest.param([chunk("The quick brown fox jumps")], 7, id="one-chunk-of-many-tokens"),
        pytest.param([chunk(""), chunk("hi")], 1, id="empty-chunks-are-not-output"),
        pytest.param(
            [StreamChunk("", "p", "m", thinking="x" * 12), chunk("ok")], 4, id="thinking-counts"
        ),
        pytest.param([chunk("", ToolCallDelta(0, "id", "f", '{"q": "fox"}'))], 3, id="arguments"),
    ],
)
def test_delivered_tokens_estimate_errs_high(chunks: list[StreamChunk], tokens: int) -> None:
    assert Delivered(chunks).tokens() == tokens
