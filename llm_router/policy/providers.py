"""The concrete provider a policy's ``providers`` entry declares (its ``type``)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Mapping
from typing import Any

from llm_router.builder import capabilities_of
from llm_router.capabilities import Capabilities
from llm_router.policy.model import CandidateSpec, ProviderSpec
from llm_router.providers.scripted import ScriptedProvider
from llm_router.types import Provider, Sleep

DEFAULT_BASE_URLS: Mapping[str, str] = {"openrouter": "https://openrouter.ai/api/v1"}
"""``base_url`` of provider types whose class has no fitting default; the others use
their class's own (api.openai.com, api.anthropic.com, Gemini's v1beta, localhost
Ollama)."""

_PREFILL_TYPES = frozenset({"anthropic", "scripted"})


def accepts_prefill(spec: ProviderSpec) -> bool:
    """Whether ``spec``'s deployment continues a final assistant message (stream
    rescue): its ``prefill`` setting, else yes for Anthropic's API and scripted
    providers, no for the others (OpenAI's API refuses it; OpenAI-compatible servers
    such as vLLM and llama.cpp accept it when told ``prefill: true``)."""
    return spec.type in _PREFILL_TYPES if spec.prefill is None else spec.prefill


TYPE_CAPABILITIES: Mapping[str, Mapping[str, bool]] = {
    "openai_compatible": {"vision": False},
}
"""Capabilities of a provider type beyond its class's defaults: a self-hosted
OpenAI-compatible server usually serves a text-only model (Ollama's class says so)."""


def deployment_capabilities(
    spec: ProviderSpec, provider: Provider, cand: CandidateSpec | None = None
) -> Capabilities:
    """What one deployment of ``spec`` can serve (docs/DESIGN.md §4.6), later values
    winning: ``provider``'s own capabilities, the type's (:data:`TYPE_CAPABILITIES`),
    the provider's ``context_window`` and ``prefill`` keys and ``capabilities``, then
    the candidate's ``context_window`` and ``capabilities``."""
    caps = capabilities_of(provider).replace(**TYPE_CAPABILITIES.get(spec.type, {}))
    caps = caps.replace(prefill=accepts_prefill(spec))
    if spec.context_window is not None:
        caps = caps.replace(context_window=spec.context_window)
    caps = caps.replace(**spec.capabilities)
    if cand is not None:
        if cand.context_window is not None:
            caps = caps.replace(context_window=cand.context_window)
        caps = caps.replace(**cand.capabilities)
    return caps


_CLASSES = {
    "openai": ("openai", "OpenAIProvider"),
    "azure": ("openai", "OpenAIProvider"),
    "openrouter": ("openai", "OpenAIProvider"),
    "openai_compatible": ("openai", "OpenAIProvider"),
    "anthropic": ("anthropic", "AnthropicProvider"),
    "gemini": ("gemini", "GeminiProvider"),
    "ollama": ("ollama", "OllamaProvider"),
}


def build_provider(spec: ProviderSpec, *, sleep: Sleep = asyncio.sleep) -> Provider:
    """The concrete (unlayered) provider of ``spec``.

    A missing API key raises :class:`~llm_router.errors.ConfigurationError` naming
    the provider and the variable to set.
    """
    if spec.type == "scripted":
        return ScriptedProvider(
            name=spec.name,
            model=spec.model,
            scripts=spec.scripts,
            sleep=sleep,
            prefill=accepts_prefill(spec),
        )
    module, cls_name = _CLASSES[spec.type]
    cls = getattr(importlib.import_module(f"llm_router.providers.{module}"), cls_name)
    options: dict[str, Any] = {
        "name": spec.name,
        "model": spec.model,
        "api_key": spec.api_key,
        "timeouts": spec.timeouts,
        "extra_headers": dict(spec.headers) or None,
    }
    base_url = spec.base_url or DEFAULT_BASE_URLS.get(spec.type)
    if base_url is not None:
        options["base_url"] = base_url
    if spec.type == "azure":
        options["api_style"] = "azure"
        if spec.api_version:
            options["api_version"] = spec.api_version
    elif spec.type == "openai_compatible":
        options["require_api_key"] = spec.api_key is not None
    provider: Provider = cls(**options)
    return provider


__all__ = ["DEFAULT_BASE_URLS", "build_provider"]
