"""Concrete providers: the only code that talks to upstreams — over HTTP, or through the
SDK clients and functions users already have (:mod:`llm_router.providers.adapters`)."""

from llm_router.providers.adapters import (
    AnthropicClientProvider,
    FunctionProvider,
    OpenAIClientProvider,
    provider,
)
from llm_router.providers.anthropic import AnthropicProvider
from llm_router.providers.gemini import GeminiProvider
from llm_router.providers.ollama import OllamaProvider
from llm_router.providers.openai import OpenAIProvider
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.providers.session import close_shared_sessions, shared_session

__all__ = [
    "AnthropicClientProvider",
    "AnthropicProvider",
    "Fault",
    "FunctionProvider",
    "GeminiProvider",
    "OllamaProvider",
    "OpenAIClientProvider",
    "OpenAIProvider",
    "Script",
    "ScriptedProvider",
    "close_shared_sessions",
    "provider",
    "shared_session",
]
