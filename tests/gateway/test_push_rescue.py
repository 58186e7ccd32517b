"""Through the gateway: a stream broken after chunks that came by the push path is
rescued, and the rescue's stream is never offered the relay's sink (its chunks must
pass the seam). The relay offers its sink only once it has the first chunk; the
router must take it then, and keep it from the rescue."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from llm_router.observe import Event, StreamEnded, StreamRecord
from llm_router.providers.openai import OpenAIProvider
from tests.gateway.conftest import MakeClient, chat_body, make_router
from tests.layers.test_push_rescue import Watching
from tests.layers.test_rescue import ANSWER, WORDS, delta
from tests.providers.conftest import Hold, Reply, started


async def test_a_rescue_after_pushed_chunks_is_not_pushed_past_the_seam(
    make_client: MakeClient,
) -> None:
    first = asyncio.Event()
    records: list[StreamRecord] = []

    def hook(event: Event) -> None:
        if isinstance(event, StreamEnded):
            records.append(event.record)

    watching = Watching()
    head = [delta(role="assistant", content=""), delta(content=WORDS[0]), Hold(first)]
    broken = Reply(body=[*head, delta(content=WORDS[1]), delta(content=WORDS[2])])
    async with started() as upstream, aiohttp.ClientSession() as s:
        upstream.script(broken)  # then the body ends without a finish: a cut
        provider = OpenAIProvider(base_url=upstream.url + "/v1", api_key="k", model="m", session=s)
        client = await make_client(make_router({"default": [provider, watching]}, hook=hook))
        text = ""
        async with asyncio.timeout(10):
            resp = await client.post("/v1/chat/completions", json=chat_body(stream=True))
            assert resp.status == 200
            async for line in resp.content:
                if line.startswith(b"data: {"):
                    delta_: dict[str, Any] = json.loads(line[6:])["choices"][0]["delta"]
                    text += delta_.get("content") or ""
                    if text:
                        first.set()
    assert text == ANSWER  # once: the replay's first three words dropped at the seam
    assert watching.sinks == [None] * (len(WORDS) + 1)
    (record,) = records
    assert record.outcome == "success"
