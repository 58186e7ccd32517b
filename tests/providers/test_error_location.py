"""Errors say where: the method and URL (no credentials, no query keys), the model and
the likely cause, in the provider's error and in ``AllProvidersFailed``'s message.

Real loopback servers, and a closed loopback port for refused connections.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import pytest

from llm_router import ChatRequest, Router, complete, errors
from llm_router.builder import candidate
from llm_router.config import RetryConfig
from llm_router.layers.routing import Route
from llm_router.providers import (
    AnthropicProvider,
    GeminiProvider,
    OllamaProvider,
    OpenAIProvider,
)
from llm_router.providers._http_where import display_url
from tests.providers.conftest import Reply, Upstream, sse

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
KEY = "sk-test-where-0123456789"
NOT_FOUND = Reply(status=404, headers={"Content-Type": "text/plain"}, body=[b"404: Not Found"])


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def test_refused_connection_names_host_port_url_and_cause(
    closed_port_url: str, session: aiohttp.ClientSession
) -> None:
    """A wrong port: 'connection refused at 127.0.0.1:<port> — is the server running?',
    with the method, URL and model."""
    provider = OpenAIProvider(
        base_url=closed_port_url + "/v1", api_key=KEY, model="m", name="oa", session=session
    )
    with pytest.raises(errors.ConnectError) as info:
        await complete(provider, REQ)
    text = str(info.value)
    port = _port(closed_port_url)
    assert text == (
        f"oa: connection refused at 127.0.0.1:{port} "
        f"(POST {closed_port_url}/v1/chat/completions, model m) — is the server running?"
    )
    assert info.value.where and info.value.hint and info.value.retryable
    assert KEY not in text and KEY not in repr(info.value)


async def test_all_providers_failed_carries_each_attempts_where(
    closed_port_url: str, session: aiohttp.ClientSession
) -> None:
    """AllProvidersFailed's message has each attempt's error, where and cause — not just
    its class name."""

    @dataclass(frozen=True)
    class Chat:
        task: str = "chat"
        score: float = 1.0
        signals: tuple[str, ...] = ()

    refused = [
        OpenAIProvider(
            base_url=closed_port_url + "/v1", api_key=KEY, model="m", name=n, session=session
        )
        for n in ("oa", "ob")
    ]
    cands = tuple(
        candidate(p, model="m", retry=RetryConfig(attempts=1), breaker=None) for p in refused
    )
    router = Router({"default": Route("default", cands)}, detector=lambda r: Chat())
    with pytest.raises(errors.AllProvidersFailed) as info:
        await complete(router, REQ)
    text = str(info.value)
    port = _port(closed_port_url)
    assert f"oa/m: ConnectError: connection refused at 127.0.0.1:{port}" in text
    assert f"; ob/m: ConnectError: connection refused at 127.0.0.1:{port}" in text
    assert f"POST {closed_port_url}/v1/chat/completions" in text
    assert "is the server running?" in text and KEY not in text


async def test_404_without_v1_asks_about_v1(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A base URL without /v1 on an OpenAI-compatible server: the 404 says where and asks."""
    upstream.script(NOT_FOUND)
    provider = OpenAIProvider(
        base_url=upstream.url, api_key=KEY, model="m", name="oa", session=session
    )
    with pytest.raises(errors.BadRequest) as info:
        await complete(provider, REQ)
    assert str(info.value) == (
        f"oa: 404: Not Found (HTTP 404 at POST {upstream.url}/chat/completions, model m)"
        " — does base_url need /v1?"
    )


async def test_404_naming_the_model_asks_about_the_model(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """vLLM's unknown-model 404: the path was right, the model name is the suspect."""
    body = {
        "object": "error",
        "message": "The model `x` does not exist.",
        "type": "NotFoundError",
        "code": 404,
    }
    upstream.script(Reply.json(404, body))
    provider = OpenAIProvider(
        base_url=upstream.url + "/v1", api_key=KEY, model="x", session=session
    )
    with pytest.raises(errors.BadRequest) as info:
        await complete(provider, REQ)
    assert info.value.message == "The model `x` does not exist."
    assert info.value.hint == "is the model name right (and served by this server)?"


async def test_gemini_404_without_v1beta_hints_v1beta_and_hides_the_key(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Gemini's base URL needs /v1beta; the key (a header) never shows."""
    upstream.script(NOT_FOUND)
    key = "AIzaSyTEST-where-0123456789abcdefghijk"
    provider = GeminiProvider(base_url=upstream.url, api_key=key, model="gemini-x", session=session)
    with pytest.raises(errors.BadRequest) as info:
        await complete(provider, REQ)
    text = str(info.value)
    assert f"POST {upstream.url}/models/gemini-x:streamGenerateContent?alt=sse" in text
    assert "does base_url need /v1beta?" in text and key not in text


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        pytest.param("anthropic", "base_url should not end in /v1", id="anthropic"),
        pytest.param("ollama", "OllamaProvider calls /api/chat", id="ollama"),
    ],
)
async def test_404_with_a_stray_v1(
    upstream: Upstream, session: aiohttp.ClientSession, kind: str, hint: str
) -> None:
    """Providers that add their own path say so when base_url already ends in /v1."""
    upstream.script(NOT_FOUND)
    base = upstream.url + "/v1"
    provider = (
        AnthropicProvider(base_url=base, api_key=KEY, model="c", session=session)
        if kind == "anthropic"
        else OllamaProvider(base_url=base, model="c", session=session)
    )
    with pytest.raises(errors.BadRequest) as info:
        await complete(provider, REQ)
    assert info.value.hint is not None and hint in info.value.hint


async def test_azure_404_keeps_api_version_not_the_key(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Azure: the deployment is the suspect; api-version shows, the api-key never."""
    body = {
        "error": {
            "code": "DeploymentNotFound",
            "message": "The API deployment for this resource does not exist.",
        }
    }
    upstream.script(Reply.json(404, body))
    provider = OpenAIProvider(
        base_url=upstream.url, api_key=KEY, model="dep", api_style="azure", session=session
    )
    with pytest.raises(errors.BadRequest) as info:
        await complete(provider, REQ)
    text = str(info.value)
    assert "/openai/deployments/dep/chat/completions?api-version=" in text
    assert "are the deployment name and api-version right?" in text and KEY not in text


async def test_credentials_in_base_url_never_show(
    closed_port_url: str, session: aiohttp.ClientSession
) -> None:
    """User info in base_url is dropped from the URL errors show."""
    base = closed_port_url.replace("http://", "http://user:pa55word@") + "/v1"
    # Keyless: aiohttp refuses user info beside an Authorization header.
    provider = OpenAIProvider(base_url=base, require_api_key=False, model="m", session=session)
    with pytest.raises(errors.ConnectError) as info:
        await complete(provider, REQ)
    assert "pa55word" not in str(info.value) and "user" not in str(info.value)
    assert f"{closed_port_url}/v1/chat/completions" in str(info.value)


def test_display_url_drops_query_keys_and_user_info() -> None:
    """Only ``alt`` and ``api-version`` survive of the query; user info and fragment go."""
    url = "http://u:p@h:8/v1beta/models/x:streamGenerateContent?alt=sse&key=SECRET&sig=S#frag"
    assert display_url(url) == "http://h:8/v1beta/models/x:streamGenerateContent?alt=sse"
    assert display_url("not a url") == "<invalid URL>"


async def test_https_to_a_plain_http_server_hints_the_scheme(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A TLS handshake against a plain-HTTP server: the error says so."""
    base = upstream.url.replace("http://", "https://") + "/v1"
    provider = OpenAIProvider(base_url=base, api_key=KEY, model="m", session=session)
    with pytest.raises(errors.ConnectError) as info:
        await complete(provider, REQ)
    assert f"TLS handshake with 127.0.0.1:{_port(upstream.url)} failed" in info.value.message
    assert info.value.hint is not None and "http://" in info.value.hint


# --- AnthropicProvider without a key ---------------------------------------------


def _anthropic_answer() -> Reply:
    def ev(kind: str, **fields: object) -> bytes:
        return sse({"type": kind, **fields}, event=kind)

    return Reply(
        body=[
            ev("message_start", message={"model": "c", "usage": {"input_tokens": 1}}),
            ev("content_block_delta", index=0, delta={"type": "text_delta", "text": "ok"}),
            ev("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 1}),
            ev("message_stop"),
        ]
    )


async def test_anthropic_keyless_for_local_servers(
    upstream: Upstream, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """require_api_key=False: no key needed, no x-api-key header sent (llama-server's
    /v1/messages); a key given is still sent; the default still requires one."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    upstream.script(_anthropic_answer())
    keyless = AnthropicProvider(
        base_url=upstream.url, model="c", require_api_key=False, session=session
    )
    assert (await complete(keyless, REQ)).text == "ok"
    sent = upstream.requests[0]
    assert sent.path == "/v1/messages" and "x-api-key" not in sent.headers
    assert sent.headers["anthropic-version"] == "2023-06-01"
    keyed = AnthropicProvider(
        base_url=upstream.url, model="c", api_key=KEY, require_api_key=False, session=session
    )
    assert (await complete(keyed, REQ)).text == "ok"
    assert upstream.requests[1].headers["x-api-key"] == KEY
    with pytest.raises(errors.ConfigurationError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider(base_url=upstream.url, model="c")
