"""Stream rescue against llmock, an independent mock of the OpenAI, Anthropic and
Gemini APIs with fault injection (PyPI ``llmock``; nobody here wrote it).

Each fault (``disconnect``, ``truncate``, ``malformed``, ``stall``) is queued for the
next request, after a few chunks of a streamed answer: the caller must receive the
whole answer, exactly, and llmock's own verdict must report no failure.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llm_router import ChatRequest
from llm_router._aio import closing
from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RescueConfig, RescueStrategy, RetryConfig, Timeouts
from llm_router.providers.anthropic import AnthropicProvider
from llm_router.providers.gemini import GeminiProvider
from llm_router.providers.openai import OpenAIProvider
from llm_router.types import Provider


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llmock() -> Iterator[str]:
    """A running llmock server (static answers); its base URL."""
    exe = shutil.which("llmock", path=str(Path(sys.executable).parent))
    assert exe is not None, "llmock is a dev dependency: make test installs it"
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port), "--response-style", "static"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        encoding="utf-8",
        errors="replace",  # its banner draws boxes; any locale reads it
    )
    assert proc.stdout is not None
    drain = threading.Thread(target=proc.stdout.read, daemon=True)
    try:
        # llmock (uvicorn) says when it listens: wait for that line, not for time to pass
        for line in proc.stdout:
            if "Uvicorn running on" in line:
                break
        else:
            raise AssertionError(f"llmock exited with {proc.wait()} before listening")
        drain.start()  # keep reading its log so it never blocks on a full pipe
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        if drain.is_alive():
            drain.join(10)  # it ends at the EOF of the exited process
        proc.stdout.close()


TIMEOUTS = Timeouts(connect=2.0, first_token=2.0, idle=0.3, total=20.0)


def _provider(kind: str, base: str) -> Provider:
    if kind == "openai":
        return OpenAIProvider(
            base_url=base + "/v1", api_key="k", model="gpt-4o-mini", name="oa", timeouts=TIMEOUTS
        )
    if kind == "anthropic":
        return AnthropicProvider(
            base_url=base + "/anthropic",
            api_key="k",
            model="claude-sonnet-4-5",
            name="an",
            timeouts=TIMEOUTS,
        )
    return GeminiProvider(
        base_url=base + "/gemini/v1beta",
        api_key="k",
        model="gemini-2.5-flash",
        name="ge",
        timeouts=TIMEOUTS,
    )


async def _post(session: aiohttp.ClientSession, url: str, body: Any = None) -> Any:
    async with session.post(url, json=body) as resp:
        assert resp.status in (200, 201), await resp.text()
        return await resp.json()


@pytest.fixture
async def session(llmock: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for llmock's control API, with llmock reset first."""
    async with aiohttp.ClientSession() as s:
        await _post(s, llmock + "/_llmock/reset")
        yield s


# llmock counts preamble events as chunks: after 4 every format has sent some text
AFTER = {"openai": 3, "anthropic": 4, "gemini": 2}


@pytest.mark.parametrize("strategies", [("continue", "replay"), ("replay",)], ids=str)
@pytest.mark.parametrize("fault", ["disconnect", "truncate", "malformed", "stall"])
@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
async def test_every_mid_stream_fault_ends_in_the_whole_answer(
    llmock: str,
    session: aiohttp.ClientSession,
    kind: str,
    fault: str,
    strategies: tuple[RescueStrategy, ...],
) -> None:
    provider = _provider(kind, llmock)
    behaviour = {"type": "stream_fault", "kind": fault, "after_chunks": AFTER[kind]}
    await _post(session, llmock + "/_llmock/scenario", {"behaviors": [behaviour]})
    router = build_router(
        {"default": [provider]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
        rescue=RescueConfig(strategies=strategies),
    )
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}], task="chat")
    texts: list[str] = []
    async with router, closing(router.stream_complete(request)) as stream:
        async for chunk in stream:
            texts.append(chunk.text)
    model = getattr(provider, "model", "")
    assert "".join(texts) == f"Mock response from {model}."
    async with session.get(llmock + "/_llmock/requests") as resp:
        requests = (await resp.json())["requests"]
    assert requests[0]["fault"].startswith(f"stream:{fault}")
    assert len(requests) == 2 and requests[1]["completed"]
    async with session.get(llmock + "/_llmock/verdict") as resp:
        verdict = await resp.json()
    # llmock groups attempts by identical bodies and judges from the server's side; it
    # misreads two things a rescue does, and only those findings are allowed:
    # - malformed_chunk_ignored: the whole (short) answer was already written when the
    #   client hit the malformed event, closed the stream and replayed it; llmock saw a
    #   completed response;
    # - truncated_stream_accepted, gave_up: a `continue` rescue sends the delivered text
    #   as a prefill, a new body, which llmock counts as a new call, not as the broken
    #   one's retry. With replay alone (same body) its verdict has no error at all.
    allowed = {"malformed_chunk_ignored"} if fault == "malformed" else set()
    if requests[1]["body"] != requests[0]["body"]:
        assert requests[1]["body"]["messages"][-1]["role"] == "assistant"  # a prefill
        allowed |= {"gave_up", "truncated_stream_accepted"}
    else:
        assert verdict["errors"] == 0, verdict["findings"]
    assert {f["code"] for f in verdict["findings"]} <= allowed, verdict["findings"]


@pytest.mark.parametrize(
    ("after", "calls"),
    [pytest.param(5, 3, id="before-the-finish"), pytest.param(6, 1, id="after-the-finish")],
)
async def test_a_cut_at_the_end_never_appends_another_models_answer(
    llmock: str, session: aiohttp.ClientSession, after: int, calls: int
) -> None:
    """OpenAI first, Anthropic (which takes a prefill) second, default rescue; llmock
    cuts the OpenAI stream once all its text is out (5 chunks: the role and 4 words),
    or once its finish chunk is out too (6). Seen before: the Anthropic continuation,
    llmock's whole answer anew, appended to the first; and after the finish, a rescue
    of a whole answer. Now: the continuation diverges and a replay completes the
    answer, and a stream cut after its finish is whole."""
    behaviour = {"type": "stream_fault", "kind": "disconnect", "after_chunks": after}
    await _post(session, llmock + "/_llmock/scenario", {"behaviors": [behaviour]})
    router = build_router(
        {"default": [_provider("openai", llmock), _provider("anthropic", llmock)]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
    )
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}], task="chat")
    texts: list[str] = []
    async with router, closing(router.stream_complete(request)) as stream:
        async for chunk in stream:
            texts.append(chunk.text)
    assert "".join(texts) == "Mock response from gpt-4o-mini."
    async with session.get(llmock + "/_llmock/requests") as resp:
        requests = (await resp.json())["requests"]
    assert [r["path"].rsplit("/", 1)[-1] for r in requests] == [
        "completions",
        "messages",
        "completions",
    ][:calls]
