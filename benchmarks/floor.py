"""The floor: a bare aiohttp client with a minimal SSE reader.

It does the least any correct client must do with an OpenAI stream — read the
bytes, split events, parse each JSON payload, pick the delta text — and nothing
else. Every other row of the benchmarks is reported as a ratio to it.
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
