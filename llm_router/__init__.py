"""llm_router: resilient streaming LLM calls — routing, retries, failover, breakers, metrics.

Everything here is a re-export; see the modules for the documentation.
"""

from llm_router import errors
from llm_router.accumulate import Accumulator, complete
from llm_router.observe import MultiObserver, NullObserver, Observer, StreamRecord
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
    "ChatRequest",
    "Completion",
    "Message",
    "MultiObserver",
    "NullObserver",
    "Observer",
    "Provider",
    "StreamChunk",
    "StreamRecord",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "complete",
    "errors",
]
