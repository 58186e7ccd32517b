"""SSE parser: WHATWG semantics, split safety, limits, and the wire samples."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from llm_router.errors import ProtocolError
from llm_router.wire import SSEEvent, SSEParser

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "wire-samples"
SSE_FILES = sorted(SAMPLES.glob("*/*.sse"))


def feed_all(pieces: list[bytes], **kwargs: int) -> list[SSEEvent]:
    parser = SSEParser(**kwargs)
    events: list[SSEEvent] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    return events


def splits(body: bytes) -> list[list[bytes]]:
    """Whole, byte by byte, and random multi-cut splits."""
    out = [[body], [body[i : i + 1] for i in range(len(body))]]
    for seed in range(10):
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(body)), min(64, len(body) - 1)))
        out.append([body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)])
    return out


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in SSE_FILES])
def test_samples_give_same_events_for_every_split(path: Path) -> None:
    """Every sample parses to identical events whole, byte by byte and at random cuts."""
    body = path.read_bytes()
    reference = feed_all([body])
    assert reference
    for pieces in splits(body):
        assert feed_all(pieces) == reference


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in SSE_FILES])
def test_samples_split_in_two_at_every_offset(path: Path) -> None:
    """Feeding body[:o] then body[o:] gives the same events for every offset o."""
    body = path.read_bytes()
    reference = feed_all([body])
    step = 1 if len(body) < 20000 else 7
    for o in range(0, len(body) + 1, step):
        assert feed_all([body[:o], body[o:]]) == reference


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in SSE_FILES])
def test_samples_data_is_json(path: Path) -> None:
    """Every sample event's data is JSON or the [DONE] sentinel."""
    for event in feed_all([path.read_bytes()]):
        if event.data != "[DONE]":
            json.loads(event.data)


CASES = [
    pytest.param(b"data: a\n\n", [SSEEvent("a")], id="lf"),
    pytest.param(b"data: a\r\n\r\n", [SSEEvent("a")], id="crlf"),
    pytest.param(b"data: a\r\rdata: b\r\r", [SSEEvent("a"), SSEEvent("b")], id="cr"),
    pytest.param(b"data: a\ndata: b\n\n", [SSEEvent("a\nb")], id="multi-line-data"),
    pytest.param(b"data:a\n\n", [SSEEvent("a")], id="no-space"),
    pytest.param(b"data:  a\n\n", [SSEEvent(" a")], id="only-one-space-stripped"),
    pytest.param(b"data\n\n", [SSEEvent("")], id="field-without-colon"),
    pytest.param(b"data\ndata\n\n", [SSEEvent("\n")], id="two-empty-data-lines"),
    pytest.param(b": comment\ndata: a\n\n", [SSEEvent("a")], id="comment"),
    pytest.param(b": OPENROUTER PROCESSING\n\ndata: a\n\n", [SSEEvent("a")], id="openrouter"),
    pytest.param(b"event: x\n\ndata: a\n\n", [SSEEvent("a")], id="event-without-data"),
    pytest.param(b"event: ping\ndata: {}\n\n", [SSEEvent("{}", "ping")], id="event-name"),
    pytest.param(b"event:\ndata: a\n\n", [SSEEvent("a")], id="empty-event-name"),
    pytest.param(
        b"id: 7\ndata: a\n\ndata: b\n\n",
        [SSEEvent("a", id="7"), SSEEvent("b", id="7")],
        id="id-persists",
    ),
    pytest.param(b"id: a\0b\ndata: x\n\n", [SSEEvent("x")], id="id-with-nul-ignored"),
    pytest.param(b"retry: 3000\ndata: a\n\n", [SSEEvent("a", retry=3000)], id="retry"),
    pytest.param(b"retry: 3s\ndata: a\n\n", [SSEEvent("a")], id="retry-not-digits"),
    pytest.param(b"foo: bar\ndata: a\n\n", [SSEEvent("a")], id="unknown-field"),
    pytest.param(b"\xef\xbb\xbfdata: a\n\n", [SSEEvent("a")], id="bom"),
    pytest.param(
        b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n", [], id="bom-only-once"
    ),
    pytest.param(b"data: a\n\ndata: unterminated\n", [SSEEvent("a")], id="unterminated"),
    pytest.param("data: 日本語 ✓\n\n".encode(), [SSEEvent("日本語 ✓")], id="utf8"),
]


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_whatwg_cases_at_every_split(body: bytes, expected: list[SSEEvent]) -> None:
    """Each WHATWG case gives the expected events however the bytes are split."""
    for pieces in splits(body) if len(body) > 1 else [[body]]:
        assert feed_all(pieces) == expected
    for o in range(len(body) + 1):
        assert feed_all([body[:o], body[o:]]) == expected


def test_cr_at_end_of_feed_and_lf_at_start_of_next_is_one_line_end() -> None:
    """A CRLF split across two feeds ends one line, not two (no spurious dispatch)."""
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\ndata: b\r") == []
    assert parser.feed(b"\n\r") == [SSEEvent("a\nb")]
    assert parser.feed(b"\n") == []


def test_utf8_character_split_across_feeds() -> None:
    """A multi-byte character split between feeds is decoded intact."""
    body = "data: é✓\n\n".encode()
    parser = SSEParser()
    assert parser.feed(body[:7]) == []
    assert parser.feed(body[7:9]) == []
    assert parser.feed(body[9:]) == [SSEEvent("é✓")]


def test_invalid_utf8_is_replaced() -> None:
    """Invalid UTF-8 decodes to U+FFFD instead of raising."""
    assert feed_all([b"data: \xff\n\n"]) == [SSEEvent("\ufffd")]


def test_overlong_line_is_protocol_error() -> None:
    """A line over max_line raises ProtocolError naming the provider."""
    with pytest.raises(ProtocolError) as info:
        feed_all([b"data: " + b"x" * 100 + b"\n\n"], max_line=50)
    parser = SSEParser(max_line=50, provider="p")
    with pytest.raises(ProtocolError) as info:
        for _ in range(20):
            parser.feed(b"xxxxxxxx")  # no newline ever: bounded memory
    assert info.value.provider == "p"


def test_overlong_event_is_protocol_error() -> None:
    """An event whose data lines exceed max_event raises ProtocolError."""
    with pytest.raises(ProtocolError):
        feed_all([b"data: xxxxxxxx\n" * 20], max_event=100)


def test_limits_allow_exactly_the_maximum() -> None:
    """A line of exactly max_line characters is accepted."""
    line = b"data: " + b"x" * 44
    assert feed_all([line + b"\n\n"], max_line=50) == [SSEEvent("x" * 44)]


def test_many_events_in_one_feed_are_linear() -> None:
    """A body of 20,000 events fed in 7-byte pieces parses completely (no quadratic blowup)."""
    body = b"".join(b'data: {"i": %d}\n\n' % i for i in range(20000))
    events = feed_all(split_pieces(body, 7))
    assert len(events) == 20000
    assert events[-1].data == '{"i": 19999}'


def split_pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def test_long_line_in_small_pieces_is_linear() -> None:
    """A 512 KiB line arriving 16 bytes at a time is joined once, not per piece."""
    body = b"data: " + b"x" * (512 * 1024) + b"\n\n"
    events = feed_all(split_pieces(body, 16))
    assert len(events[0].data) == 512 * 1024


def _one_event_per_read(body: bytes) -> list[bytes]:
    """``body`` cut after every blank line: each read holds one whole event, as a paced
    upstream sends them (the parser's fast path)."""
    pieces = [p + b"\n\n" for p in body.split(b"\n\n")]
    pieces[-1] = pieces[-1][:-2]
    return [p for p in pieces if p]


@pytest.mark.parametrize(
    "body",
    [*(c.values[0] for c in CASES), *(p.read_bytes() for p in SSE_FILES)],
)
def test_one_event_per_read_gives_the_same_events(body: bytes) -> None:
    """An event alone in its read (the fast path) parses as it does inside a bigger read."""
    assert feed_all(_one_event_per_read(body)) == feed_all([body])


def test_one_event_per_read_keeps_limits_id_and_retry() -> None:
    """The fast path still applies the limits and carries the last id and a pending retry."""
    parser = SSEParser(max_line=20, max_event=20)
    assert parser.feed(b"id: 9\n\n") == []
    assert parser.feed(b"retry: 5\n") == []
    assert parser.feed(b"data: a\n\n") == [SSEEvent("a", id="9", retry=5)]
    assert parser.feed(b"data: b\n\n") == [SSEEvent("b", id="9")]
    assert parser.feed(b"data: " + b"x" * 14 + b"\n\n") == [SSEEvent("x" * 14, id="9")]
    with pytest.raises(ProtocolError, match="line longer than 20"):
        parser.feed(b"data: " + b"x" * 15 + b"\n\n")


BURSTS = [
    b'data: a\n\ndata: b\n\ndata: {"c": "data: x"}\n\n',
    b"data: \n\ndata: b\n\n",  # an empty data line is an event with empty data
    b"data: a\n\n\n\ndata: b\n\n",  # an extra blank line between events
    b"data: a\n\ndata: b\n\n\n\n",  # and at the end
    b"data: a\n\n\ndata: b\n\n",  # a lone newline: an empty line, then a data line
    b"data: a\n\nevent: e\ndata: b\n\n",  # another field
    b"data: a\n\n: comment\n\ndata: b\n\n",
    b"data: a\n\ndata:b\n\n",  # no space after the colon
    b"data: a\ndata: a2\n\ndata: b\n\n",  # a two-line event
    b"data: a\n\nid: 7\ndata: b\n\n",
]


@pytest.mark.parametrize("body", BURSTS)
def test_a_read_of_many_events_gives_the_events_of_the_general_path(body: bytes) -> None:
    """A read holding several whole events (a fast upstream's) may be split at its
    blank lines at once; whatever it holds, the events are those of the line-by-line
    path (byte by byte), with a pending retry and the last id carried over."""
    for before in (b"", b"retry: 5\n", b"id: 3\n\n"):
        whole = feed_all([before, body])
        assert whole == feed_all([bytes([b]) for b in before + body])
        assert whole == feed_all([before + body])


def test_a_read_of_many_events_keeps_the_limits() -> None:
    """Limits in a read of many events: exactly the maximum passes, one more raises."""
    ok = b"data: a\n\ndata: " + b"x" * 44 + b"\n\n"
    assert feed_all([ok], max_line=50)[-1] == SSEEvent("x" * 44)
    assert feed_all([ok], max_event=45)[-1] == SSEEvent("x" * 44)
    with pytest.raises(ProtocolError, match="line longer than 49"):
        feed_all([ok], max_line=49)
    with pytest.raises(ProtocolError, match="event longer than 44"):
        feed_all([ok], max_event=44)
