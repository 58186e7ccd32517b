"""The seams of stream rescue: a replay verified against the delivered output, and a
prefilled continuation with its overlap trimmed."""

from __future__ import annotations

import random
from typing import Any

import pytest

from llm_router.layers.routing._seam import (
    ContinueSeam,
    Delivered,
    Diverged,
    ReplaySeam,
    _agreeing,
    _lengths,
)
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


def continue_out(delivered: str, pieces: list[str], **kw: Any) -> str:
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


@pytest.mark.parametrize(
    ("delivered", "pieces", "out"),
    [
        # llama-server's first delta is the prefill it was sent, then its next token:
        # the prefill left the newline out, and the model carries on the same line
        pytest.param("Sure.\n", ["Sure. Here", " it is."], "Here it is.", id="echo-then-space"),
        pytest.param("Sure.\n", ["Sure.", "\nHere"], "Here", id="echo-then-the-gap-again"),
        pytest.param("Sure.\n", ["Sure.\n\nHere"], "\nHere", id="echo-with-the-gap"),
        pytest.param("Hello world ", ["Hello world!", " Bye."], "! Bye.", id="echo-then-no-gap"),
        pytest.param("Sure.\n", [" Here", " it is."], "Here it is.", id="no-echo"),
    ],
)
def test_continue_trims_an_echo_of_the_prefill_as_sent(
    delivered: str, pieces: list[str], out: str
) -> None:
    """The prefill is the delivered text without its trailing whitespace (the gap): a
    server that echoes it is trimmed like one that repeats the delivered text, and the
    gap is not doubled after it."""
    gap = delivered[len(delivered.rstrip()) :]
    assert continue_out(delivered, pieces, gap=gap) == out


@pytest.mark.parametrize(
    ("pieces", "out"),
    [
        pytest.param(["Next"], "Next", id="no-echo"),
        pytest.param(
            ["word " * 19_999 + "word next", " one."], "next one.", id="echo-in-one-delta"
        ),
        pytest.param(["word " * 10_000, "word " * 9_999 + "word!"], "!", id="echo-in-two"),
    ],
)
def test_a_long_answer_and_an_echo_of_it(pieces: list[str], out: str) -> None:
    """100,000 delivered characters (the seam finds repeats with ``find``, not by
    copying each of the 100,000 suffixes)."""
    assert continue_out("word " * 20_000, pieces, gap=" ") == out


def test_agreeing_suffixes_are_those_of_the_definition() -> None:
    """:func:`_agreeing` against its definition, on random texts over two letters (so
    that repeats abound) and every minimum overlap."""
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice("ab") for _ in range(rng.randint(0, 14)))
        head = "".join(rng.choice("ab") for _ in range(rng.randint(1, 14)))
        lengths = _lengths(text, rng.randint(1, 9))
        expected = {
            k
            for k in lengths
            if (text[-k:].startswith(head) if len(head) < k else head.startswith(text[-k:]))
        }
        found = _agreeing(text, lengths, head)
        assert sorted(found) == sorted(expected), (text, head, lengths)


ANSWER_SO_FAR = "Mock response from gpt-4o. It goes on"


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param(["Mock response from claude-x."], id="in-one-delta"),
        pytest.param(["Mock ", "resp", "onse from", " claude-x."], id="in-pieces"),
        pytest.param(["  \n", "Mock response from", " claude-x."], id="after-whitespace"),
        pytest.param([" goes on", "Mock response from claude"], id="after-a-repeated-tail"),
    ],
)
def test_a_continuation_that_starts_the_answer_over_diverges(pieces: list[str]) -> None:
    """A server that ignores the prefill answers anew (llmock does; another model may):
    appended, the caller would read two answers. Nothing of it is released."""
    seam = ContinueSeam(ANSWER_SO_FAR)
    released: list[StreamChunk] = []
    with pytest.raises(Diverged, match="starts the answer over"):
        for piece in pieces:
            released += seam.feed(chunk(piece))
    assert released == []


@pytest.mark.parametrize(
    ("delivered", "pieces", "out"),
    [
        pytest.param(ANSWER_SO_FAR, [" and on."], " and on.", id="a-continuation"),
        pytest.param(
            ANSWER_SO_FAR, ["Mock response", " ends."], "Mock response ends.", id="finish"
        ),
        pytest.param("Mock response", ["Mock response from x."], " from x.", id="short-delivered"),
        pytest.param(
            ANSWER_SO_FAR, [ANSWER_SO_FAR, " and on."], " and on.", id="an-echo-of-the-whole"
        ),
    ],
)
def test_what_only_resembles_a_restart_is_released(
    delivered: str, pieces: list[str], out: str
) -> None:
    """Not a restart: text that does not repeat the answer's first 16 characters after
    the seam, a repeat cut short by the finish (too little to tell), a delivered text
    shorter than 16 characters, or an echo of the whole delivered text (trimmed)."""
    assert continue_out(delivered, pieces) == out


def test_a_continuation_is_held_only_until_it_leaves_the_answers_opening() -> None:
    seam = ContinueSeam(ANSWER_SO_FAR)
    assert seam.feed(chunk("Mock")) == []  # might still be a restart
    assert [c.text for c in seam.feed(chunk("ing"))] == ["Mock", "ing"]


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
