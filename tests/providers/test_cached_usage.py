"""Cached input tokens in each decoder's usage, type-checked like every other count."""

from __future__ import annotations

from typing import Any

import pytest

from llm_router import errors
from llm_router.providers._anthropic_decode import AnthropicDecoder
from llm_router.providers._gemini_decode import GeminiDecoder
from llm_router.providers._openai_decode import OpenAIDecoder
from llm_router.providers.ollama import OllamaDecoder
from llm_router.types import Usage


def _openai(usage: dict[str, Any]) -> Usage | None:
    decoder = OpenAIDecoder("p", "m", want_usage=True)
    decoder.decode("", {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    decoder.decode("", {"choices": [], "usage": usage})
    return decoder.final_chunk().usage


def test_openai_cached_and_written_tokens() -> None:
    """``prompt_tokens_details.cached_tokens`` (and OpenRouter's cache writes)."""
    details = {"cached_tokens": 4, "cache_write_tokens": 2, "audio_tokens": 0}
    usage = _openai({"prompt_tokens": 10, "completion_tokens": 3, "prompt_tokens_details": details})
    assert usage == Usage(10, 3, cached_input_tokens=4, cache_write_input_tokens=2)
    assert _openai({"prompt_tokens": 10, "completion_tokens": 3}) == Usage(10, 3)


@pytest.mark.parametrize("details", ["x", {"cached_tokens": "4"}, {"cached_tokens": -1}])
def test_openai_wrong_shaped_details_are_protocol_errors(details: Any) -> None:
    """A wrong-typed detail is a malformed event, not a wrong-typed count."""
    with pytest.raises(errors.ProtocolError):
        _openai({"prompt_tokens": 1, "completion_tokens": 1, "prompt_tokens_details": details})


def test_anthropic_cache_reads_and_writes() -> None:
    """The cache counts are parts of the prompt and reported apart."""
    decoder = AnthropicDecoder("p", "m")
    usage = {"input_tokens": 1, "cache_read_input_tokens": 6, "cache_creation_input_tokens": 2}
    decoder.decode("message_start", {"type": "message_start", "message": {"usage": usage}})
    decoder.decode("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                     "usage": {"output_tokens": 5}})  # fmt: skip
    assert decoder.final_chunk().usage == Usage(9, 5, 6, 2)


def test_gemini_cached_content_tokens() -> None:
    """``cachedContentTokenCount`` is the cached part of ``promptTokenCount``."""
    decoder = GeminiDecoder("p", "m")
    meta = {"promptTokenCount": 9, "cachedContentTokenCount": 6, "candidatesTokenCount": 2}
    decoder.decode("", {"candidates": [{"finishReason": "STOP"}], "usageMetadata": meta})
    assert decoder.final_chunk().usage == Usage(9, 2, cached_input_tokens=6)


def test_ollama_reports_no_cache_and_its_model() -> None:
    """Ollama says nothing of caching; its ``model`` is the upstream model."""
    decoder = OllamaDecoder("p", "deployment")
    decoder.decode("", {"model": "llama3:8b", "message": {"content": "hi"}, "done": True,
                        "prompt_eval_count": 3, "eval_count": 1})  # fmt: skip
    last = decoder.final_chunk()
    assert last.usage == Usage(3, 1) and (last.model, last.upstream_model) == (
        "deployment",
        "llama3:8b",
    )
    with pytest.raises(errors.ProtocolError):
        OllamaDecoder("p", "m").decode("", {"model": 7, "done": False})
