"""The floor: a bare aiohttp client with a lean SSE reader.

It does the least any correct client must do with an OpenAI stream — read the
bytes, split events, parse each JSON payload, pick the delta text — and nothing
else, as cheaply as plain Python allows: one buffer per stream, events found by
offset, the consumed prefix dropped once per read (never a copy of the rest of
the buffer per event). Every other row of the benchmarks is a ratio to it.

:func:`copying_stream` is the floor used until 2026-12: it copies the rest of
the buffer on every event (about 1.3 times the lean floor's instructions), which made
every ratio to it look better than it was. It is kept only to report that
difference (before/after).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

BODY: dict[str, Any] = {
    "model": "bench-model",
    "messages": [{"role": "user", "content": "Stream a long answer, please."}],
    "stream": True,
}


async def bare_stream(session: aiohttp.ClientSession, url: str) -> int:
    """Read one stream; returns the number of text deltas seen."""
    n = 0
    buf = bytearray()
    loads = json.loads
    async with session.post(url, json=BODY) as resp:
        resp.raise_for_status()
        async for data in resp.content.iter_any():
            buf += data
            start = 0
            while True:
                end = buf.find(b"\n\n", start)
                if end < 0:
                    break
                if buf.startswith(b"data: ", start):
                    if buf.startswith(b"[DONE]", start + 6):
                        return n
                    choices = loads(buf[start + 6 : end]).get("choices")
                    if choices and choices[0]["delta"].get("content"):
                        n += 1
                start = end + 2
            del buf[:start]
    return n


async def copying_stream(session: aiohttp.ClientSession, url: str) -> int:
    """The previous floor: like :func:`bare_stream` but copies the buffer per event."""
    n = 0
    buf = b""
    async with session.post(url, json=BODY) as resp:
        resp.raise_for_status()
        async for data in resp.content.iter_any():
            buf += data
            while True:
                end = buf.find(b"\n\n")
                if end < 0:
                    break
                event, buf = buf[:end], buf[end + 2 :]
                if not event.startswith(b"data: "):
                    continue
                payload = event[6:]
                if payload == b"[DONE]":
                    return n
                choices = json.loads(payload).get("choices")
                if choices and choices[0]["delta"].get("content"):
                    n += 1
    return n
