"""One stream's decoding, from upstream bytes to chunks, shared by both ways
:mod:`._http` reads a stream: awaiting each read (until the commit point, and for any
reader) and in the upstream connection's callback (:mod:`._tap`, after it).

A :class:`Feed` takes whatever one read brought and returns the chunks it completes,
in order. A fault on the way (an event that does not parse, an in-stream error, a
frame too long) is kept in :attr:`Feed.error` *after* the chunks that came before it
in the same read, so the reader delivers those first and then raises it: the same
order in which the events arrived.

Once the finish signal is in, the answer is whole (SPEC §1.3): what may follow is a
trailer (the usage chunk, Anthropic's ``message_stop``, ``[DONE]``). A fault there (an
event that does not parse, an error event) ends the stream as the trailer's grace
running out would, with what the trailer would have added unknown, and is not raised:
it can drop no words, and raising it would have a complete answer rescued (a second
answer appended to it) or reported as broken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_router import errors
from llm_router.providers._decoder import StreamDecoder, invalid_json
from llm_router.types import StreamChunk
from llm_router.wire.ndjson import NDJSONParser
from llm_router.wire.payload import loads
from llm_router.wire.sse import SSEParser


class Feed:
    """Decodes one stream's upstream bytes (SSE or NDJSON) with ``decoder``.

    ``ended``: the finish signal is in and no trailer is wanted (or ``[DONE]`` came):
    nothing more needs reading. ``error``: the fault met in the last read, raised by the
    reader after that read's chunks. ``trailing``: the finish signal is in and a
    trailer is awaited; a fault now ends the stream instead.
    """

    __slots__ = (
        "decoder",
        "ended",
        "error",
        "fast",
        "learn",
        "model",
        "parser",
        "provider",
        "sse",
        "trailing",
    )

    def __init__(self, sse: bool, decoder: StreamDecoder, provider: str, model: str) -> None:
        self.sse = sse
        self.parser: Any = SSEParser(provider=provider) if sse else NDJSONParser(provider=provider)
        self.decoder = decoder
        # A decoder may decode some raw events without parsing them (OpenAI's text
        # deltas, providers/_openai_text.py) and learn how from the parsed ones.
        self.fast: Callable[[str], list[StreamChunk] | None] | None = getattr(
            decoder, "decode_text", None
        )
        self.learn: Callable[[str, Any], None] | None = getattr(decoder, "learn", None)
        self.provider = provider
        self.model = model
        self.ended = False
        self.error: errors.ProviderError | None = None
        self.trailing = False

    def chunks(self, data: bytes) -> list[StreamChunk]:
        """The chunks completed by ``data`` (one read's bytes)."""
        out: list[StreamChunk] = []
        try:
            self._decode(self.parser.feed(data), out)
        except errors.ProviderError as exc:
            self._fault(exc)
        return out

    def finish(self) -> list[StreamChunk]:
        """At the end of an NDJSON body: the chunks of a last line without a newline."""
        out: list[StreamChunk] = []
        try:
            self._decode(self.parser.finish(), out)
        except errors.ProviderError as exc:
            self._fault(exc)
        self.ended = True
        return out

    def _fault(self, exc: errors.ProviderError) -> None:
        """Keep ``exc`` for the reader to raise, or, in the trailer, end the stream."""
        if self.trailing:
            self.ended = True
        else:
            self.error = exc

    def _decode(self, items: list[Any], out: list[StreamChunk]) -> None:
        sse, fast, learn, decoder = self.sse, self.fast, self.learn, self.decoder
        for item in items:
            if sse:
                raw, event = item[0], item[1]  # SSEEvent's data, event
                if raw == "[DONE]":
                    self.ended = True
                    return
            else:
                raw, event = item, ""
            chunks = None if fast is None else fast(raw)
            if chunks is None:
                try:
                    obj = loads(raw)
                except (ValueError, RecursionError) as exc:
                    stripped = raw.strip()
                    if not stripped:
                        continue  # an empty ``data:`` event: a keep-alive
                    if sse and stripped == "[DONE]":  # Azure's docs: "data: [DONE] "
                        self.ended = True
                        return
                    raise invalid_json(exc, event, self.provider, self.model) from None
                chunks = decoder.decode(event, obj)
                if learn is not None and chunks:
                    learn(raw, obj)
            out += chunks
            if decoder.finished:
                if not decoder.wants_trailer:
                    self.ended = True
                    return
                self.trailing = True  # set after the finishing event: its own fault counts
