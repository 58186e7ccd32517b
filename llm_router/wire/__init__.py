"""Incremental, split-safe, bounded wire parsers (SSE and NDJSON)."""

from llm_router.wire.ndjson import NDJSONParser
from llm_router.wire.sse import SSEEvent, SSEParser

__all__ = ["NDJSONParser", "SSEEvent", "SSEParser"]
