"""llm_router: resilient streaming LLM calls — routing, retries, failover, breakers, metrics.

Everything here is a re-export; see the modules for the documentation.
"""

from llm_router import errors
from llm_router.accumulate import Accumulator, complete
from llm_router.builder import CandidateSpec, build_router, stack
from llm_router.config import BreakerConfig, RetryConfig, Timeouts
from llm_router.layers.breaker import CircuitBreaker, SharedBreakerState
from llm_router.layers.breaker_redis import RedisBreakerState
from llm_router.layers.bulkhead import Bulkhead
from llm_router.layers.retry import Retry
from llm_router.layers.router import (
    Candidate,
    Explanation,
    Resolution,
    Route,
    Router,
    UnknownModel,
)
from llm_router.obs.logs import LogObserver, bind_request_id, configure_logging
from llm_router.obs.metrics import Metrics, Price, exposition, start_metrics_server
from llm_router.observe import MultiObserver, NullObserver, Observer, StreamRecord
from llm_router.policy import Policy, load_policy, load_router
from llm_router.providers.session import close_shared_sessions
from llm_router.tasks import Detection, DetectorConfig, Rule, TaskDetector, detect_task
from llm_router.types import (
    ChatRequest,
    Completion,
    Message,
    Provider,
    StreamChunk,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "Accumulator",
    "BreakerConfig",
    "Bulkhead",
    "Candidate",
    "CandidateSpec",
    "ChatRequest",
    "CircuitBreaker",
    "Completion",
    "Detection",
    "DetectorConfig",
    "Explanation",
    "LogObserver",
    "Message",
    "Metrics",
    "MultiObserver",
    "NullObserver",
    "Observer",
    "Policy",
    "Price",
    "Provider",
    "RedisBreakerState",
    "Resolution",
    "Retry",
    "RetryConfig",
    "Route",
    "Router",
    "Rule",
    "SharedBreakerState",
    "StreamChunk",
    "StreamRecord",
    "TaskDetector",
    "Timeouts",
    "ToolCall",
    "ToolCallDelta",
    "UnknownModel",
    "Usage",
    "bind_request_id",
    "build_router",
    "close_shared_sessions",
    "complete",
    "configure_logging",
    "detect_task",
    "errors",
    "exposition",
    "load_policy",
    "load_router",
    "stack",
    "start_metrics_server",
]
