"""``llm-router demo``: stream a scripted answer, no keys and no network.

(Grows into the full gateway demo of SPEC §8.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from llm_router._aio import closing
from llm_router.providers.scripted import Script, ScriptedProvider
from llm_router.types import ChatRequest


def add_parser(sub: Any) -> None:
    """Register the ``demo`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "demo", help="run the built-in demo (no keys, no network)"
    )
    p.set_defaults(func=run)


async def _demo() -> int:
    provider = ScriptedProvider(
        name="scripted",
        scripts=(Script(text="Resilient streaming, one chunk at a time.", chunk_delay_s=0.05),),
    )
    request = ChatRequest(messages=[{"role": "user", "content": "Say hello"}])
    start = time.monotonic()
    async with closing(provider.stream_complete(request)) as stream:
        async for chunk in stream:
            sys.stdout.write(chunk.text)
            sys.stdout.flush()
    print(f"\n[provider={provider.name} duration={time.monotonic() - start:.2f}s]")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    return asyncio.run(_demo())
