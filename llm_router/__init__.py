"""llm_router: resilient streaming LLM calls — routing, retries, failover, breakers, metrics.

This is the small face a user needs (the names are pinned by ``tests/test_public_api.py``);
everything else is public in its own package: :mod:`llm_router.providers`,
:mod:`llm_router.layers.routing`, :mod:`llm_router.layers.breaker`, :mod:`llm_router.policy`,
:mod:`llm_router.tasks`, :mod:`llm_router.observe`, :mod:`llm_router.types`.
See ``docs/DESIGN.md`` for the map.
"""

from llm_router import errors
from llm_router.accumulate import complete
from llm_router.builder import RouteEntry, build_router, resilient, stack
from llm_router.config import BreakerConfig, RetryConfig, Timeouts
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.bulkhead import Bulkhead
from llm_router.layers.retry import Retry
from llm_router.layers.routing import Router
from llm_router.observe.logs import Logs, configure_logging
from llm_router.observe.metrics import Metrics, start_metrics_server
from llm_router.policy import load_policy, load_router
from llm_router.providers.adapters import provider
from llm_router.tasks import detect_task
from llm_router.types import ChatRequest, Completion, Message, Provider, StreamChunk, Usage

__all__ = [
    "BreakerConfig",
    "Bulkhead",
    "ChatRequest",
    "CircuitBreaker",
    "Completion",
    "Logs",
    "Message",
    "Metrics",
    "Provider",
    "Retry",
    "RetryConfig",
    "RouteEntry",
    "Router",
    "StreamChunk",
    "Timeouts",
    "Usage",
    "build_router",
    "complete",
    "configure_logging",
    "detect_task",
    "errors",
    "load_policy",
    "load_router",
    "provider",
    "resilient",
    "stack",
    "start_metrics_server",
]
