"""The root package's public face is exactly the names a user needs (docs/DESIGN.md §1.4)."""

from __future__ import annotations

import llm_router

PUBLIC = [
    # docs/DESIGN.md §1.4: the core values, complete(), the error tree
    "ChatRequest",
    "Completion",
    "Message",
    "Provider",
    "StreamChunk",
    "Usage",
    "complete",
    "errors",
    # configuration
    "BreakerConfig",
    "RetryConfig",
    "Timeouts",
    # the layers, for composing by hand
    "Bulkhead",
    "CircuitBreaker",
    "Retry",
    "Router",
    # the builder and the policy entry points
    "RouteEntry",
    "build_router",
    "load_policy",
    "load_router",
    "stack",
    # one provider made resilient without routing; any async generator as a provider
    "resilient",
    "provider",
    # task detection
    "detect_task",
    # logs and metrics
    "Logs",
    "Metrics",
    "configure_logging",
    "start_metrics_server",
]


def test_all_is_pinned() -> None:
    """``llm_router.__all__`` is exactly PUBLIC, sorted: adding a name is a decision."""
    assert llm_router.__all__ == sorted(PUBLIC)


def test_every_public_name_is_importable() -> None:
    """Every name of ``__all__`` is an attribute of the package."""
    missing = [name for name in llm_router.__all__ if not hasattr(llm_router, name)]
    assert missing == []
