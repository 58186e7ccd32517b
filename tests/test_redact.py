"""The redaction of secrets and message content."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from llm_router.observe.logs import configure_logging
from llm_router.redact import (
    CONTENT_REDACTED,
    REDACTED,
    is_secret_key,
    redact,
    redact_text,
    register_secret,
)


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """structlog is unconfigured after each test."""
    yield
    structlog.reset_defaults()


@pytest.mark.parametrize(
    "key",
    ["api_key", "apiKey", "key", "token", "access_token", "Authorization", "password",
     "client_secret", "x-api-key", "api-key", "x-goog-api-key", "OPENAI_API_KEY"],
)  # fmt: skip
def test_secret_field_names(key: str) -> None:
    """Fields named like credentials are secret."""
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["input_tokens", "output_tokens", "max_tokens", "first_token", "provider", "model"]
)
def test_ordinary_field_names(key: str) -> None:
    """Token counts, timeouts and names are not mistaken for secrets."""
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        pytest.param("Incorrect API key provided: sk-proj-abcdEFGH1234", "abcdEFGH1234", id="sk"),
        pytest.param("key sk-ant-api03-AAAAbbbbCCCC", "AAAAbbbbCCCC", id="sk-ant"),
        pytest.param("AIzaSyA1234567890abcdefghijklmnopqrs", "1234567890abc", id="google"),
        pytest.param("Authorization: Bearer abc.def-ghi", "abc.def-ghi", id="bearer-header"),
        pytest.param('{"api-key": "azurekey123456"}', "azurekey123456", id="azure-json"),
        pytest.param("x-goog-api-key=zzzzzzzzzz99", "zzzzzzzzzz99", id="goog-header"),
        pytest.param("GET /v1beta/models?key=plainkey9876&alt=sse", "plainkey9876", id="query"),
    ],
)
def test_key_looking_strings_are_scrubbed(text: str, leak: str) -> None:
    """Provider keys, bearer tokens, key headers and key= query values are removed."""
    out = redact_text(text)
    assert leak not in out
    assert REDACTED in out


def test_registered_secret_is_scrubbed_anywhere() -> None:
    """A registered secret value is removed wherever it appears."""
    register_secret("hunter2-custom-credential")
    assert "hunter2" not in redact_text("login failed for hunter2-custom-credential!")


def test_nested_structures_and_content() -> None:
    """Nested headers are redacted; content fields are replaced unless included."""
    event = {
        "headers": {"Authorization": "Bearer x", "Content-Type": "application/json"},
        "messages": [{"role": "user", "content": "private words"}],
        "usage": {"input_tokens": 3, "output_tokens": 4},
        "attempts": [("a", "sk-live-0123456789")],
    }
    out = redact(event)
    assert out["headers"] == {"Authorization": REDACTED, "Content-Type": "application/json"}
    assert out["messages"] == CONTENT_REDACTED
    assert out["usage"] == {"input_tokens": 3, "output_tokens": 4}
    assert out["attempts"] == [("a", REDACTED)]
    kept = redact(event, include_content=True)
    assert kept["messages"] == [{"role": "user", "content": "private words"}]
    assert kept["headers"]["Authorization"] == REDACTED


def test_configured_pipeline_redacts_content_unless_enabled() -> None:
    """configure_logging hides message content by default and shows it on request."""
    for include, expected in ((False, CONTENT_REDACTED), (True, "private words")):
        buf = io.StringIO()
        configure_logging(stream=buf, include_content=include)
        structlog.get_logger().info("debug.request", prompt="private words", api_key="k-123456")
        event = json.loads(buf.getvalue())
        assert event["prompt"] == expected
        assert event["api_key"] == REDACTED


def test_a_secret_registered_later_is_scrubbed_from_strings_seen_before() -> None:
    """Short strings are memoised; registering a secret must invalidate that memo."""
    value = "late-registered-credential-42"
    assert redact_text(value) == value  # seen (and memoised) while not yet a secret
    assert redact_text(value) == value
    register_secret(value)
    assert value not in redact_text(value)
    long_text = "x" * 100 + value
    assert value not in redact_text(long_text)
