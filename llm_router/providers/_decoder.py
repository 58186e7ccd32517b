"""The contract between the HTTP streaming base and each provider's event decoder."""

from __future__ import annotations

from typing import Any, Protocol

from llm_router.types import StreamChunk


class StreamDecoder(Protocol):
    """Turns one wire format's parsed events into chunks (one decoder per stream)."""

    finished: bool
    """The format's finish signal has arrived."""
    wants_trailer: bool
    """After ``finished``, keep reading (up to ``trailer_grace``) for trailing usage."""

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one event (``data`` is parsed JSON); never empty chunks.
        Raises :class:`~llm_router.errors.ProviderError` for in-stream error events."""
        ...

    def final_chunk(self) -> StreamChunk:
        """The closing chunk (finish reason, raw finish reason, usage); called once."""
        ...


__all__ = ["StreamDecoder"]
