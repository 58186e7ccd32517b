"""Paper cuts a newcomer met in their first hour with the README, each reproduced (issue 16)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

import llm_router
from llm_router import ChatRequest, build_router, complete, configure_logging, load_policy
from llm_router.gateway.body import RequestInvalid
from llm_router.gateway.openai_request import parse_chat_request
from llm_router.observe import default_hook, set_default_hook
from llm_router.policy import AllowMissing, demo_policy_path, load_router
from llm_router.providers import FunctionProvider, OpenAIProvider, shared_session
from llm_router.testing import LoopbackUpstream
from llm_router.types import TASK_NAMES

ROOT = Path(__file__).resolve().parent.parent
REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


async def hello(request: ChatRequest) -> AsyncIterator[str]:
    yield "hello"


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """A buffer for configure_logging(); structlog and logging restored after (the
    default hook is restored by tests/conftest.py)."""
    yield io.StringIO()
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "llm_router"]:
        root.removeHandler(handler)


async def test_routers_are_async_context_managers_that_close_the_session() -> None:
    """``async with build_router(...)`` / ``load_router(...)``: no "Unclosed client
    session" — the event loop's shared HTTP session is closed on exit."""
    async with LoopbackUpstream("openai") as upstream:
        provider = OpenAIProvider(model="m", base_url=upstream.base_url, api_key="k")
        async with build_router({"default": [provider]}) as router:
            assert (await complete(router, REQ)).text == "Hello from the scripted upstream."
            session = shared_session()
            assert not session.closed
        assert session.closed
    async with load_router(demo_policy_path()) as loaded:
        assert (await complete(loaded, REQ.replace(model="fast"))).text.startswith("Hello!")


def test_build_router_of_a_policy_says_what_to_call() -> None:
    """``build_router(load_policy(...))`` is a clear TypeError naming the right call (the
    builder takes routes; a policy goes through load_router/assemble_policy); so is a
    route entry that is not a provider."""
    with pytest.raises(TypeError, match=r"got Policy; build a policy's router with .*load_router"):
        build_router(load_policy(demo_policy_path()))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a route entry must be a provider"):
        build_router({"default": ["gpt-4o"]})  # type: ignore[list-item]


async def test_configure_logging_alone_logs_routed_streams(log_buffer: io.StringIO) -> None:
    """One call: routers built afterwards without ``hook=`` log their streams."""
    configure_logging(json=True, stream=log_buffer)
    async with build_router({"default": [FunctionProvider(hello)]}) as router:
        await complete(router, REQ)
    async with llm_router.resilient(FunctionProvider(hello)) as single:
        await complete(single, REQ)
    events = [json.loads(line)["event"] for line in log_buffer.getvalue().splitlines()]
    assert events == ["stream.completed", "stream.completed"]  # one line per stream


async def test_an_explicit_hook_wins_and_logging_can_be_left_off(log_buffer: io.StringIO) -> None:
    """``hook=`` replaces the default; ``log_streams=False`` installs none."""
    seen: list[object] = []
    configure_logging(json=True, stream=log_buffer)
    async with build_router({"default": [FunctionProvider(hello)]}, hook=seen.append) as router:
        await complete(router, REQ)
    assert seen and "stream.completed" not in log_buffer.getvalue()
    set_default_hook(None)
    configure_logging(json=True, stream=log_buffer, log_streams=False)
    assert default_hook() is None


def test_unknown_task_names_are_one_clear_error() -> None:
    """The library refuses an unknown task like the gateway header does."""
    with pytest.raises(ValueError, match="unknown task 'poetry'; use one of code, reasoning"):
        ChatRequest(messages=[{"role": "user", "content": "hi"}], task="poetry")
    with pytest.raises(RequestInvalid, match="x-llm-router-task must be one of"):
        parse_chat_request(b'{"messages": [{"role": "user", "content": "hi"}]}', task="poetry")
    assert all(ChatRequest(messages=[{"role": "user", "content": "x"}], task=t) for t in TASK_NAMES)


POLICIES = sorted(p for p in (ROOT / "policies").glob("*.yaml"))
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_policy_header_lists_the_variables_it_reads(path: Path) -> None:
    """The leading comment names each ${VAR} the file reads (outside comments)."""
    lines = path.read_text().splitlines()
    header = "\n".join(line for line in lines[: next(
        i for i, line in enumerate(lines) if line and not line.startswith("#")
    )])  # fmt: skip
    body = [line.split(" #")[0] for line in lines if not line.lstrip().startswith("#")]
    used = sorted({m for line in body for m in _REF.findall(line)})
    missing = [v for v in used if not re.search(rf"\b{v}\b", header)]
    assert missing == [], f"{path.name} reads {missing} but its header does not say so"
    if used:
        assert "Environment variables it reads" in header


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_policy_loads_without_its_secrets(path: Path) -> None:
    """``AllowMissing`` (``--allow-missing-env``): placeholders for unset variables,
    defaults still applied; only the variables without a default are listed."""
    env = AllowMissing({})
    policy = load_policy(path, env=env)
    assert all(name.isupper() for name in env.missing)
    text = path.read_text()
    for name in env.missing:
        assert f"${{{name}}}" in text  # referenced without a default
    if "OLLAMA_URL" in text:
        assert "localhost:11434" in next(iter(policy.providers.values())).base_url
