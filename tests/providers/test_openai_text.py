"""The text-delta fast path (``providers/_openai_text.py``) gives exactly what the general
path gives — the same chunks, the same encoded gateway events, the same faults — for
every event, whether it fits the learned envelope or not."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from llm_router import ChatRequest, errors
from llm_router.gateway.openai_format import ChunkEncoder
from llm_router.providers import OpenAIProvider
from llm_router.providers._openai_decode import OpenAIDecoder
from llm_router.providers._openai_text import learn
from llm_router.types import StreamChunk
from llm_router.wire.payload import loads
from tests.providers.conftest import Reply, Upstream, sse

HEAD = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m",'
TAIL = ',"logprobs":null,"finish_reason":null}]}'


def text_event(literal: str) -> str:
    """A text-delta payload whose content is the raw JSON string token ``literal``."""
    return f'{HEAD}"choices":[{{"index":0,"delta":{{"content":{literal}}}{TAIL}'


TEXTS = [
    "a",
    "héllo wörld",
    "日本語",
    "😀 emoji",
    'quote " back \\ slash',
    "\n\t\r\b\f",
    "\x00\x1f",
]
EVENTS = (
    [text_event(json.dumps(t)) for t in TEXTS]  # escaped non-ASCII
    + [text_event(json.dumps(t, ensure_ascii=False)) for t in TEXTS]  # raw UTF-8
    + [
        text_event('"\\/ solidus \\u0041 \\uD83D\\uDE00"'),  # escapes json.dumps never writes
        text_event('"\\ud800 lone surrogate"'),
        text_event('""'),  # empty text: no chunk
        text_event('"a" , "b"'),  # not one string token
        text_event('"a"b"'),  # an unescaped quote inside
        text_event('"tab\there"'),  # a raw control character: malformed JSON
        text_event('"bad \\x escape"'),
        text_event('"unterminated'),
        text_event("42"),  # content of the wrong type: a ProtocolError
        text_event("null"),
        f'{HEAD}"choices":[{{"index":0,"delta":{{"content":"x"}},"finish_reason":"stop"}}]}}',
        f'{HEAD}"choices":[{{"index":0,"delta":{{"content":"x","role":"assistant"}}{TAIL}',
        f'{HEAD}"choices":[{{"index":1,"delta":{{"content":"x"}}{TAIL}',
        f'{HEAD}"choices":[{{"index":0,"delta":{{"content":"x"}}{TAIL[:-1]},"usage":null}}',
        HEAD + '"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","type":'
        '"function","function":{"name":"f","arguments":"{\\"a\\""}}]}' + TAIL,
        HEAD + '"choices":[{"index":0,"delta":{"content":"x"}' + TAIL + " ",  # trailing space
        HEAD + '"choices":[{"index":0,"delta":{"content":"x"}' + TAIL[:-1],  # cut short
        '{"error":{"message":"boom"},' + HEAD[1:] + '"choices":[]}',
    ]
)


def general(raw: str) -> list[StreamChunk] | str:
    """The general path's chunks for ``raw`` (a fresh decoder), or its fault's type."""
    try:
        return OpenAIDecoder("p", "m", want_usage=False).decode("message", loads(raw))
    except (ValueError, errors.LLMRouterError) as exc:
        return type(exc).__name__ if not isinstance(exc, ValueError) else "invalid JSON"


def fast(decoder: OpenAIDecoder, raw: str) -> list[StreamChunk] | str:
    """What the provider's loop does: the fast path first, the general path if it declines."""
    chunks = decoder.decode_text(raw)
    return general(raw) if chunks is None else chunks


def trained() -> OpenAIDecoder:
    decoder = OpenAIDecoder("p", "m", want_usage=False)
    raw = text_event('"first"')
    assert decoder.decode_text(raw) is None  # nothing learned yet
    data = loads(raw)
    decoder.learn(raw, data)
    assert decoder.template is not None
    return decoder


@pytest.mark.parametrize("raw", EVENTS)
def test_fast_path_equals_general_path(raw: str) -> None:
    decoder = trained()
    got, want = fast(decoder, raw), general(raw)
    assert got == want
    if isinstance(want, list):  # and the gateway's bytes are the same
        assert encoded(got) == encoded(want)


def encoded(chunks: list[StreamChunk]) -> list[bytes]:
    """The gateway's events for ``chunks`` (after an opening one, which has the role)."""
    encoder = ChunkEncoder("chatcmpl-gw", 1)
    encoder.opening(StreamChunk("opening", "p", "m"))
    return [encoder.encode(c) for c in chunks]


def test_the_fast_path_takes_the_common_events() -> None:
    decoder = trained()
    for text in TEXTS:
        for literal in (json.dumps(text), json.dumps(text, ensure_ascii=False)):
            assert decoder.decode_text(text_event(literal)) == general(text_event(literal))


@pytest.mark.parametrize(
    "raw",
    [
        text_event('""'),  # nothing to learn from
        HEAD + '"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}',
        # a duplicate key: only the last content token counts
        f'{HEAD}"choices":[{{"index":0,"delta":{{"content":"x","content":"y"}}{TAIL}',
        # the same text in another field before the real one
        HEAD + '"note":{"content":"x"},"choices":[{"index":0,"delta":{"content":"x"}' + TAIL,
    ],
)
def test_what_is_learned_from_odd_shapes_is_exact(raw: str) -> None:
    template = learn(raw, loads(raw))
    if template is not None:  # only a template that puts the text where it belongs
        for text in TEXTS:
            probe = template.prefix + json.dumps(text) + template.suffix
            assert fast(trained_with(raw), probe) == general(probe)


def trained_with(raw: str) -> OpenAIDecoder:
    decoder = OpenAIDecoder("p", "m", want_usage=False)
    decoder.learn(raw, loads(raw))
    return decoder


def test_learning_gives_up_on_an_envelope_that_changes_every_event() -> None:
    decoder = OpenAIDecoder("p", "m", want_usage=False)
    for i in range(10):
        raw = text_event('"t"')[:-1] + f',"obfuscation":"{i}"}}'
        if decoder.decode_text(raw) is None:
            decoder.learn(raw, loads(raw))
    assert decoder.tries == 0


async def test_a_stream_over_http_is_the_same(
    upstream: Upstream, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: an upstream whose text deltas vary in escaping; every piece arrives,
    most of them by the fast path."""
    taken: list[StreamChunk] = []
    original = OpenAIDecoder.decode_text

    def counted(self: OpenAIDecoder, raw: str) -> list[StreamChunk] | None:
        chunks = original(self, raw)
        taken.extend(chunks or ())
        return chunks

    monkeypatch.setattr(OpenAIDecoder, "decode_text", counted)

    def event(piece: str, *, ascii_: bool = True, **more: Any) -> bytes:
        delta = {"content": piece} if piece else {}
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None, **more}
        payload = {"id": "c", "created": 1, "model": "u", "choices": [choice]}
        return sse(json.dumps(payload, ensure_ascii=ascii_))

    pieces = ["Hel", "lo ", "wörld", ' "q" ', "\\", "😀", "\n", "end"]
    role = {"index": 0, "delta": {"role": "assistant", "content": ""}}
    body = [sse({"id": "c", "created": 1, "model": "u", "choices": [role]})]
    body += [event(p, ascii_=i % 2 == 0) for i, p in enumerate(pieces)]
    body += [event("", finish_reason="stop"), b"data: [DONE]\n\n"]
    upstream.script(Reply(body=body))
    provider = OpenAIProvider(
        model="m", base_url=upstream.url + "/v1", api_key="k", session=session
    )
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}])
    chunks = [c async for c in provider.stream_complete(request)]
    assert [c.text for c in chunks[:-1]] == pieces
    assert chunks[-1].finish_reason == "stop" and chunks[-1].upstream_model == "u"
    assert len(taken) >= len(pieces) - 2  # all but the one it learned from (and a retry)
