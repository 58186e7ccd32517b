"""Secrets and prompt text never reach logs, metrics or error messages (docs/DESIGN.md §10)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator

import pytest
import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RetryConfig
from llm_router.errors import AllProvidersFailed, LLMRouterError
from llm_router.layers.routing import Router
from llm_router.observe import fan_out
from llm_router.observe.logs import Logs, configure_logging
from llm_router.observe.metrics import Metrics, exposition
from llm_router.providers import Fault, OpenAIProvider, Script
from llm_router.providers.scripted import FAULT_KINDS
from tests.conftest import FakeClock
from tests.observe.stack import PROMPT, build, drain, request

KEY = "sk-test-SECRET123"


@pytest.fixture(autouse=True)
def _env_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The key is in the environment, as in production; structlog is reset after."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    yield
    structlog.reset_defaults()


def assert_clean(text: str) -> None:
    """No key, no Authorization value and no prompt text in ``text``."""
    assert KEY not in text
    assert "SECRET123" not in text
    assert "Bearer" not in text
    assert PROMPT not in text
    assert "secret prompt" not in text


async def run_every_fault(clock: FakeClock) -> tuple[list[str], str]:
    """Every scripted fault, before and after the first chunk; returns error texts and
    the exposition."""
    texts: list[str] = []
    body = b""
    for kind in FAULT_KINDS:
        if kind == "stall":
            continue
        for after in (0, 1):
            s = build(clock, [Script("a b c", fault=Fault(kind, after_chunks=after))],
                      [Script(fault=Fault(kind))], fail_max=1)  # fmt: skip
            s.a.api_key = KEY  # type: ignore[attr-defined]
            try:
                await drain(s)
            except LLMRouterError as exc:
                texts += [str(exc), repr(exc)]
            body += exposition(s.registry)[0]
    return texts, body.decode()


async def test_scripted_failures_leak_nothing(clock: FakeClock) -> None:
    """Every fault kind through the stack: logs, metrics and errors carry no secret."""
    buf = io.StringIO()
    configure_logging(json=True, level="debug", stream=buf)
    texts, body = await run_every_fault(clock)
    structlog.get_logger().error("request.failed", exc_info=ValueError(KEY), api_key=KEY)
    assert "stream.failed" in buf.getvalue()
    assert_clean(buf.getvalue())
    assert_clean(body)
    for text in texts:
        assert_clean(text)
    with capture_logs() as logs:
        await run_every_fault(clock)
    assert_clean(repr(logs))


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault("bad_request", message=f"bad key {KEY}"), id="error"),
        pytest.param(
            Fault("server_error", after_chunks=1, message=f"Authorization: Bearer {KEY}"),
            id="interrupted",
        ),
        pytest.param(Fault("bad_request", message=f"x-api-key: {KEY[3:]}"), id="header"),
    ],
)
async def test_key_echoed_in_an_error_message_is_scrubbed_from_logs(
    clock: FakeClock, fault: Fault
) -> None:
    """An upstream error that echoes the key carries it redacted, in the error and the logs."""
    s = build(clock, [Script("a b c", fault=fault)])
    buf = io.StringIO()
    configure_logging(stream=buf)
    with pytest.raises(LLMRouterError) as raised:
        await drain(s)
    # The scripted upstream echoed the key; the error scrubbed it on construction.
    assert "SECRET123" not in str(raised.value) and "SECRET123" not in repr(raised.value)
    assert "[REDACTED]" in str(raised.value)
    with capture_logs() as logs, pytest.raises(LLMRouterError):
        await drain(s)
    assert "stream.failed" in buf.getvalue()
    assert "[REDACTED]" in buf.getvalue()
    assert_clean(buf.getvalue())
    assert_clean(repr(logs))


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback server answering /<status>/v1/chat/completions with that status;
    yields its base URL and the Authorization headers it received."""
    seen: list[str] = []

    async def handler(req: web.Request) -> web.Response:
        seen.append(req.headers.get("Authorization", ""))
        status = int(req.match_info["status"])
        message = {
            401: "Incorrect API key provided: sk-test-*****123.",
            429: "Rate limit reached for requests",
            500: "The server had an error while processing your request.",
        }[status]
        headers = {"Retry-After": "1"} if status == 429 else {}
        return web.json_response(
            {"error": {"message": message, "type": "error", "code": None}},
            status=status,
            headers=headers,
        )

    app = web.Application()
    app.router.add_post("/{status}/v1/chat/completions", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_openai_provider_failures_leak_nothing(
    clock: FakeClock, upstream: tuple[str, list[str]]
) -> None:
    """401/429/500 from a real HTTP upstream: the key went out, but nowhere else."""
    base, seen = upstream
    providers = [
        OpenAIProvider(base_url=f"{base}/{status}/v1", model="gpt-4o-mini", name=f"oai{status}")
        for status in (401, 429, 500)
    ]
    reg = CollectorRegistry()
    metrics = Metrics(reg, providers=[p.name for p in providers])
    router = build_router(
        {"default": providers},
        retry=RetryConfig(attempts=2, initial=0.1),
        breaker=BreakerConfig(fail_max=1),
        hook=fan_out(metrics, Logs()),
        clock=clock,
        sleep=clock.sleep,
    )
    buf = io.StringIO()
    configure_logging(stream=buf)
    texts: list[str] = []
    try:
        with capture_logs() as logs:
            texts += await _fail(router)
        assert_clean(repr(logs))
        texts += await _fail(router)  # through the real, redacting pipeline into buf
    finally:
        await router.aclose()
    assert seen and all(h == f"Bearer {KEY}" for h in seen)
    assert texts
    for text in texts:
        assert_clean(text)
    assert_clean(buf.getvalue())
    assert "stream.failed" in buf.getvalue()
    assert_clean(exposition(reg)[0].decode())
    assert_clean(repr(providers))


async def _fail(router: Router) -> list[str]:
    """Run one request that fails on every candidate; log it as the gateway would and
    return the error's texts (its own and each attempt's)."""
    try:
        async for _chunk in router.stream_complete(request()):
            pass
    except AllProvidersFailed as exc:
        structlog.get_logger().exception("request.failed")
        return [str(exc), repr(exc), *(f"{a.error!s} {a.error!r}" for a in exc.attempts)]
    raise AssertionError("the request should have failed")
