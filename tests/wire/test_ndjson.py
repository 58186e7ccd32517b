"""NDJSON splitter: split safety, blank lines, the final line, limits, the samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_router.errors import ProtocolError
from llm_router.wire import NDJSONParser

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "wire-samples"
FILES = sorted(SAMPLES.glob("*/*.ndjson"))


def feed_all(pieces: list[bytes], **kwargs: int) -> list[str]:
    parser = NDJSONParser(**kwargs)
    lines: list[str] = []
    for piece in pieces:
        lines.extend(parser.feed(piece))
    return lines + parser.finish()


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in FILES])
def test_samples_whole_bytewise_and_every_offset(path: Path) -> None:
    """Each sample gives the same lines whole, byte by byte, and split at every offset."""
    body = path.read_bytes()
    reference = feed_all([body])
    assert reference == [line for line in body.decode().splitlines() if line.strip()]
    assert feed_all([body[i : i + 1] for i in range(len(body))]) == reference
    for o in range(len(body) + 1):
        assert feed_all([body[:o], body[o:]]) == reference


CASES = [
    pytest.param(b'{"a":1}\n{"b":2}\n', ['{"a":1}', '{"b":2}'], id="lines"),
    pytest.param(b'{"a":1}\r\n\r\n{"b":2}\r\n', ['{"a":1}', '{"b":2}'], id="crlf-and-blank"),
    pytest.param(b'{"a":1}\n{"b":2}', ['{"a":1}', '{"b":2}'], id="final-line-no-newline"),
    pytest.param('{"t":"日本"}\n'.encode(), ['{"t":"日本"}'], id="utf8"),
    pytest.param(b"\n\n  \n", [], id="only-blank"),
]


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_cases_at_every_split(body: bytes, expected: list[str]) -> None:
    """Each case gives the expected lines for every two-way split and byte by byte."""
    for o in range(len(body) + 1):
        assert feed_all([body[:o], body[o:]]) == expected
    assert feed_all([body[i : i + 1] for i in range(len(body))]) == expected


def test_finish_returns_nothing_after_a_newline() -> None:
    """finish() yields nothing when the stream ended on a newline."""
    parser = NDJSONParser()
    assert parser.feed(b'{"a":1}\n') == ['{"a":1}']
    assert parser.finish() == []


def test_overlong_line_is_protocol_error() -> None:
    """A line over max_line bytes raises ProtocolError, even before its newline arrives."""
    parser = NDJSONParser(max_line=10, provider="p")
    with pytest.raises(ProtocolError) as info:
        for _ in range(5):
            parser.feed(b"xxxx")
    assert info.value.provider == "p"
    with pytest.raises(ProtocolError):
        feed_all([b"x" * 11 + b"\n"], max_line=10)
