"""Adapters: the clients and functions users already have, as providers.

- :class:`OpenAIClientProvider` wraps an ``openai.AsyncOpenAI`` / ``AsyncAzureOpenAI``
  client (``pip install llm_router[openai]``);
- :class:`AnthropicClientProvider` wraps an ``anthropic.AsyncAnthropic`` client
  (``pip install llm_router[anthropic]``);
- :class:`FunctionProvider` (and the :func:`provider` decorator) wraps any async
  generator function that yields text.

Each is a :class:`~llm_router.types.Provider` that the layers stack like the HTTP
providers: the commit point, the error classes, usage and tool-call deltas are kept.
Neither SDK is imported by ``import llm_router``; the adapters import them only to
classify a failure. The shared streaming loop is ``_core.adapt``.
"""

from llm_router.providers.adapters._anthropic import AnthropicClientProvider
from llm_router.providers.adapters._function import (
    ErrorMap,
    FunctionProvider,
    StreamFunction,
    provider,
)
from llm_router.providers.adapters._openai import OpenAIClientProvider

__all__ = [
    "AnthropicClientProvider",
    "ErrorMap",
    "FunctionProvider",
    "OpenAIClientProvider",
    "StreamFunction",
    "provider",
]
