"""Context-window overflow as real servers word it, over real loopback HTTP.

Each wording (status and body as the server sends them; sources in the comment above
``_CONTEXT_HINTS`` in ``llm_router/providers/_http_errors.py``) must be a
``ContextWindowExceeded``: not retried, and failed over to a candidate whose window is
larger or undeclared (docs/DESIGN.md §1.3). Lookalikes that a larger window would not fix stay
``BadRequest``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from llm_router import ChatRequest, Router, complete, errors
from llm_router.builder import candidate
from llm_router.config import BreakerConfig, RetryConfig
from llm_router.layers.routing import Route
from llm_router.providers import (
    AnthropicProvider,
    GeminiProvider,
    OllamaProvider,
    OpenAIProvider,
)
from llm_router.types import Provider
from tests.providers.conftest import Reply, Upstream, sse

REQ = ChatRequest(messages=[{"role": "user", "content": "a very long prompt"}])


def _make(kind: str, url: str, session: aiohttp.ClientSession) -> Provider:
    """The provider class that speaks to this kind of server."""
    if kind == "anthropic":
        return AnthropicProvider(base_url=url, api_key="k", model="m", session=session)
    if kind == "gemini":
        return GeminiProvider(base_url=url + "/v1beta", api_key="k", model="m", session=session)
    if kind == "ollama":
        return OllamaProvider(base_url=url, model="m", session=session)
    if kind == "azure":
        return OpenAIProvider(
            base_url=url, api_key="k", model="m", api_style="azure", session=session
        )
    return OpenAIProvider(base_url=url + "/v1", model="m", require_api_key=False, session=session)


def _oa(message: str, code: Any = None, type_: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _anthropic(message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


_GEMINI_MSG = (
    "The input token count (1200293) exceeds the maximum number of tokens allowed (1048576)."
)
_GEMINI = {"code": 400, "message": _GEMINI_MSG, "status": "INVALID_ARGUMENT"}

OVERFLOWS = [
    pytest.param(
        "openai",
        400,
        _oa(
            "This model's maximum context length is 8192 tokens. However, your messages "
            "resulted in 10383 tokens. Please reduce the length of the messages.",
            "context_length_exceeded",
        ),
        id="openai-context_length_exceeded",
    ),
    pytest.param(
        "openai",
        400,
        _oa(
            "This model's maximum context length is 4097 tokens, however you requested 4116 "
            "tokens (1044 in your prompt; 3072 for the completion). Please reduce your "
            "prompt; or completion length."
        ),
        id="openai-message-without-code",
    ),
    pytest.param(
        "openai",
        400,
        _oa(
            "Your input exceeds the context window of this model. Please adjust your input "
            "and try again."
        ),
        id="openai-context-window",
    ),
    pytest.param(
        "azure",
        400,
        _oa(
            "This model's maximum context length is 32768 tokens. However, you requested "
            "35969 tokens (9969 in the messages, 26000 in the completion). Please reduce the "
            "length of the messages or completion.",
            "context_length_exceeded",
        ),
        id="azure",
    ),
    pytest.param(
        "anthropic",
        400,
        _anthropic("prompt is too long: 208656 tokens > 200000 maximum"),
        id="anthropic-prompt-too-long",
    ),
    pytest.param(
        "anthropic",
        400,
        _anthropic(
            "input length and `max_tokens` exceed context limit: 189136 + 20000 > 204648, "
            "decrease input length or `max_tokens` and try again"
        ),
        id="anthropic-exceed-context-limit",
    ),
    pytest.param("gemini", 400, {"error": _GEMINI}, id="gemini"),
    pytest.param("gemini", 400, [{"error": _GEMINI}], id="gemini-list-wrapped"),
    pytest.param(
        "ollama",
        400,
        {"error": "the input length exceeds the context length"},
        id="ollama",
    ),
    pytest.param(
        "openai",
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, you "
            "requested 5000 tokens (4000 in the messages, 1000 in the completion). Please "
            "reduce the length of the messages or completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        id="vllm-top-level",
    ),
    pytest.param(
        "openai",
        400,
        _oa(
            "This model's maximum context length is 2048 tokens. However, your request has 8 "
            "input tokens plus 2045 'max_tokens'. Please reduce one or the other.",
            400,
            "BadRequestError",
        ),
        id="vllm-input-plus-max-tokens",
    ),
    pytest.param(
        "openai",
        400,
        _oa(
            "The decoder prompt (length 17772) is longer than the maximum model length of "
            "16384. Make sure that `max_model_len` is no smaller than the number of text "
            "tokens.",
            400,
            "BadRequestError",
        ),
        id="vllm-decoder-prompt",
    ),
    pytest.param(
        "openai",
        400,
        {
            "error": {
                "code": 400,
                "message": "request (4476 tokens) exceeds the available context size "
                "(4096 tokens), try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 4476,
                "n_ctx": 4096,
            }
        },
        id="llama.cpp",
    ),
    pytest.param(
        "openai",
        400,
        {"error": {"code": 400, "message": "too big", "type": "exceed_context_size_error"}},
        id="llama.cpp-type-alone",
    ),
    pytest.param(
        "openai",
        400,
        _oa("input (5000 tokens) is larger than the max context size (4096 tokens). skipping"),
        id="llama.cpp-older",
    ),
    pytest.param(
        "openai",
        422,
        {
            "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= "
            "2048. Given: 1244 `inputs` tokens and 1000 `max_new_tokens`",
            "error_type": "validation",
        },
        id="tgi-total",
    ),
    pytest.param(
        "openai",
        422,
        {
            "error": "Input validation error: `inputs` must have less than 1024 tokens. "
            "Given: 1168",
            "error_type": "validation",
        },
        id="tgi-inputs",
    ),
    pytest.param(
        "openai",
        400,
        {
            "error": {
                "message": "This endpoint's maximum context length is 131072 tokens. However, "
                "you requested about 141607 tokens (10535 of text input, 131072 in the "
                'output). Please reduce the length of either one, or use the "middle-out" '
                "transform to compress your prompt automatically.",
                "code": 400,
                "metadata": {"provider_name": "Chutes"},
            }
        },
        id="openrouter",
    ),
]


def _upstream_message(payload: Any) -> str:
    """The server's own message in ``payload`` (``error.message``, ``message`` or a
    string ``error``)."""
    if isinstance(payload, list):
        payload = payload[0]
    error = payload.get("error", payload)
    return error if isinstance(error, str) else str(error["message"])


@pytest.mark.parametrize(("kind", "status", "payload"), OVERFLOWS)
async def test_overflow_wording_is_context_window_exceeded(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    kind: str,
    status: int,
    payload: Any,
) -> None:
    """The server's status and body → ContextWindowExceeded, not retryable, fails over,
    carrying the server's own message."""
    upstream.script(Reply.json(status, payload))
    with pytest.raises(errors.ProviderError) as info:
        await complete(_make(kind, upstream.url, session), REQ)
    exc = info.value
    assert type(exc) is errors.ContextWindowExceeded, exc
    assert exc.status == status and not exc.retryable and exc.fails_over
    assert _upstream_message(payload) in exc.message
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    ("kind", "status", "payload"),
    [
        pytest.param(
            "openai",
            422,
            {
                "error": "Input validation error: `max_new_tokens` must be <= 192. Given: 500",
                "error_type": "validation",
            },
            id="tgi-max-new-tokens",
        ),
        pytest.param(
            "anthropic",
            400,
            _anthropic(
                "max_tokens: 10000 > 4096, which is the maximum allowed number of output "
                "tokens for claude-3-5-sonnet-20240620"
            ),
            id="anthropic-max-output-tokens",
        ),
    ],
)
async def test_output_limit_is_not_context_overflow(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    kind: str,
    status: int,
    payload: Any,
) -> None:
    """A cap on the *output* is the caller's request to fix: BadRequest, no failover."""
    upstream.script(Reply.json(status, payload))
    with pytest.raises(errors.ProviderError) as info:
        await complete(_make(kind, upstream.url, session), REQ)
    assert type(info.value) is errors.BadRequest


# --- routing: a llama-server that overflows fails over to a larger window -----------


@dataclass(frozen=True)
class _Chat:
    task: str = "chat"
    score: float = 1.0
    signals: tuple[str, ...] = ()


_LLAMA_OVERFLOW = Reply.json(
    400,
    {
        "error": {
            "code": 400,
            "message": "request (5000 tokens) exceeds the available context size "
            "(4096 tokens), try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": 5000,
            "n_ctx": 4096,
        }
    },
)


def _answer(text: str) -> Reply:
    delta = {"id": "c", "model": "big", "choices": [{"index": 0, "delta": {"content": text}}]}
    done = {
        "id": "c",
        "model": "big",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    return Reply(body=[sse(delta), sse(done), sse("[DONE]")])


@pytest.fixture
async def servers() -> AsyncIterator[list[Upstream]]:
    """Three loopback upstreams, stopped after the test."""
    ups = [Upstream() for _ in range(3)]
    try:
        for up in ups:
            await up.start()
        yield ups
    finally:
        for up in ups:
            await up.close()


def _router(
    windows: list[int | None], ups: list[Upstream], session: aiohttp.ClientSession
) -> Router:
    cands = tuple(
        candidate(
            OpenAIProvider(
                base_url=up.url + "/v1",
                model=f"m{i}",
                name=f"srv{i}",
                require_api_key=False,
                session=session,
            ),
            context_window=window,
            retry=RetryConfig(attempts=2),
            breaker=BreakerConfig(fail_max=1),
        )
        for i, (window, up) in enumerate(zip(windows, ups, strict=True))
    )
    return Router({"default": Route("default", cands)}, detector=lambda r: _Chat())


@pytest.mark.parametrize("big_window", [None, 32768], ids=["undeclared", "larger"])
async def test_llama_cpp_overflow_fails_over_to_a_larger_window(
    servers: list[Upstream], session: aiohttp.ClientSession, big_window: int | None
) -> None:
    """llama-server's 400 exceed_context_size_error moves on once (no retry); a candidate
    no larger than the one that overflowed is skipped without a request; the next larger
    (or undeclared) window answers."""
    small, same, big = servers
    small.script(_LLAMA_OVERFLOW)
    same.script(_answer("wrong"))
    big.script(_answer("fits"))
    router = _router([4096, 4096, big_window], servers, session)
    out = await complete(router, REQ)
    assert out.text == "fits"
    assert (len(small.requests), len(same.requests), len(big.requests)) == (1, 0, 1)
    # Neutral for the breaker (fail_max=1): the overflowing server is still tried.
    small.script(_LLAMA_OVERFLOW)
    big.script(_answer("again"))
    assert (await complete(router, REQ)).text == "again"
    assert len(small.requests) == 1


async def test_overflow_everywhere_says_so_per_candidate(
    servers: list[Upstream], session: aiohttp.ClientSession
) -> None:
    """No larger window left: AllProvidersFailed names each candidate and why."""
    small, same, big = servers
    small.script(_LLAMA_OVERFLOW)
    router = _router([4096, 4096, 2048], servers, session)
    with pytest.raises(errors.AllProvidersFailed) as info:
        await complete(router, REQ)
    text = str(info.value)
    assert "srv0: ContextWindowExceeded: request (5000 tokens) exceeds the available" in text
    assert "srv1: ContextWindowExceeded: skipped: context window 4096" in text
    assert "srv2: ContextWindowExceeded: skipped: context window 2048" in text
    assert (len(same.requests), len(big.requests)) == (0, 0)
