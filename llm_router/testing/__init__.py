"""Test your routing and fallback code without a network or keys.

Script what each upstream answers — text, tool calls, usage, and faults: error
statuses with ``Retry-After``, refused connections, cut streams, stalls, malformed and
error events — in the upstream's own wire format (OpenAI, Anthropic, Gemini, Ollama),
and point llm_router's HTTP providers (or a policy) at it:

- :class:`MockUpstreams` answers in-process at the real URLs (``aioresponses``
  patches aiohttp): nothing to start, nothing listening, any policy runs unchanged;
- :class:`LoopbackUpstream` serves the same scripts on a real ``127.0.0.1`` socket, for
  stalls and resets in the middle of a stream and for clients that do not use aiohttp
  (the ``openai`` and ``anthropic`` SDKs, through :mod:`llm_router.providers.adapters`).

Example::

    from llm_router.testing import MockUpstreams, Reply

    async def test_falls_back_when_openai_is_down() -> None:
        with MockUpstreams() as mock:
            mock.openai().script(Reply.error(503), Reply.error(503))
            mock.anthropic().script(Reply(text="Hello from Claude"))
            async with load_router("policies/openai-anthropic.yaml", env=KEYS) as router:
                answer = await complete(router, ChatRequest(messages=[...]))
        assert answer.provider == "claude"

With pytest, ``pytest_plugins = ["llm_router.testing.pytest_plugin"]`` adds the
``llm_mock`` and ``llm_upstream`` fixtures. Install with ``pip install
llm_router[testing]`` (``aioresponses``; pytest-asyncio for the fixtures).
"""

from llm_router.testing._loopback import LoopbackUpstream
from llm_router.testing._mock import PUBLIC_URLS, MockUpstream, MockUpstreams
from llm_router.testing._reply import Reply
from llm_router.testing._script import DEFAULT_MODELS, Received, ScriptedUpstream
from llm_router.testing._wire import KINDS, Kind, render

__all__ = [
    "DEFAULT_MODELS",
    "KINDS",
    "PUBLIC_URLS",
    "Kind",
    "LoopbackUpstream",
    "MockUpstream",
    "MockUpstreams",
    "Received",
    "Reply",
    "ScriptedUpstream",
    "render",
]
