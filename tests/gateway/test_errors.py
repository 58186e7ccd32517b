"""The one mapping from llm_router errors to HTTP statuses and OpenAI error bodies."""

from __future__ import annotations

import json

import pytest

from llm_router import errors
from llm_router.gateway.body import RequestInvalid
from llm_router.gateway.errors import ErrorInfo, error_info
from llm_router.layers.routing import UnknownModel
from llm_router.redact import register_secret
from llm_router.types import Completion


def _partial() -> Completion:
    return Completion("so far", (), None, None, "p", "m", 0.1, 0.2, 2)


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        pytest.param(RequestInvalid("bad", param="x"), 400, None, id="request-invalid"),
        pytest.param(UnknownModel("gpt-9"), 404, "model_not_found", id="unknown-model"),
        pytest.param(errors.BadRequest("no", provider="p"), 400, "bad_request", id="bad-request"),
        pytest.param(
            errors.ContextWindowExceeded("long", provider="p"),
            400,
            "context_length_exceeded",
            id="context",
        ),
        pytest.param(
            errors.ContentFiltered("no", provider="p"), 400, "content_filter", id="filtered"
        ),
        pytest.param(
            errors.RateLimited("slow", provider="p"), 429, "rate_limit_exceeded", id="429"
        ),
        pytest.param(errors.ServerError("x", provider="p"), 502, "server_error", id="5xx"),
        pytest.param(errors.ConnectError("x", provider="p"), 502, "connect_error", id="connect"),
        pytest.param(errors.ProtocolError("x", provider="p"), 502, "protocol_error", id="proto"),
        pytest.param(errors.AuthError("x", provider="p"), 502, "auth_error", id="upstream-auth"),
        pytest.param(
            errors.FirstTokenTimeout("x", provider="p"), 504, "first_token_timeout", id="ttft"
        ),
        pytest.param(errors.DeadlineExceeded("x", provider="p"), 504, "deadline", id="deadline"),
        pytest.param(errors.CircuitOpen("x", provider="p"), 503, "circuit_open", id="open"),
        pytest.param(errors.ProviderBusy("x", provider="p"), 503, "provider_busy", id="busy"),
        pytest.param(
            errors.StreamInterrupted(_partial(), errors.ServerError("x", provider="p")),
            502,
            "stream_interrupted",
            id="interrupted",
        ),
        pytest.param(KeyError("bug"), 500, "internal_error", id="bug"),
    ],
)
def test_error_mapping(exc: BaseException, status: int, code: str | None) -> None:
    """Each error class has its status and code, in OpenAI's body shape."""
    info = error_info(exc)
    assert (info.status, info.code) == (status, code)
    assert set(info.body()["error"]) == {"message", "type", "param", "code"}


def _failed(*errs: errors.ProviderError) -> errors.AllProvidersFailed:
    return errors.AllProvidersFailed([errors.Attempt(e.provider, e) for e in errs], route="r")


def test_all_failed_with_one_kind_keeps_its_status() -> None:
    """Every candidate rate-limited (breakers aside) is a 429 with the shortest Retry-After."""
    info = error_info(
        _failed(
            errors.RateLimited("a", provider="a", retry_after=7),
            errors.CircuitOpen("b", provider="b"),
            errors.RateLimited("c", provider="c", retry_after=2.5),
        )
    )
    assert info.status == 429
    assert info.headers == {"Retry-After": "3"}


def test_all_failed_mixed_or_all_open_is_503() -> None:
    """Mixed failures, or every breaker open, answer 503."""
    mixed = error_info(
        _failed(errors.ServerError("a", provider="a"), errors.FirstTokenTimeout("b", provider="b"))
    )
    assert (mixed.status, mixed.code) == (503, "all_providers_failed")
    closed = error_info(_failed(errors.CircuitOpen("a", provider="a")))
    assert (closed.status, closed.code) == (503, "circuit_open")
    busy = error_info(
        _failed(errors.ProviderBusy("a", provider="a"), errors.ProviderBusy("b", provider="b"))
    )
    assert (busy.status, busy.code) == (503, "provider_busy")
    both = error_info(
        _failed(errors.CircuitOpen("a", provider="a"), errors.ProviderBusy("b", provider="b"))
    )
    assert (both.status, both.code) == (503, "all_providers_failed")


def test_busy_and_open_candidates_do_not_decide_the_status() -> None:
    """A 429 from the one provider that was tried stays a 429 beside busy ones."""
    info = error_info(
        _failed(
            errors.ProviderBusy("a", provider="a"),
            errors.RateLimited("b", provider="b", retry_after=1),
        )
    )
    assert info.status == 429


def test_error_messages_never_carry_secrets_or_prompts() -> None:
    """The body carries the provider's clipped message only."""
    exc = errors.ServerError("upstream said no", provider="p")
    body = json.dumps(error_info(exc).body())
    assert "upstream said no" in body
    assert error_info(exc).sse_event().startswith(b'data: {"error":')


def test_error_bodies_are_scrubbed() -> None:
    """Whatever built the message, a registered secret or a key never reaches the client:
    the JSON body and the SSE error event are both scrubbed."""
    register_secret("registered-secret-31")
    info = ErrorInfo(502, "upstream: bad key registered-secret-31 / sk-abcdefghijkl", "x")
    for sent in (json.dumps(info.body()), info.sse_event().decode()):
        assert "registered-secret-31" not in sent and "sk-abcdefghijkl" not in sent
        assert "[REDACTED]" in sent
