"""The policy as typed, frozen values: what :func:`~llm_router.policy.load_policy` returns.

Secrets (API keys, client keys) are kept out of ``repr`` so a logged or printed
policy never shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias

from llm_router.config import BreakerConfig, RescueConfig, RetryConfig, Timeouts
from llm_router.providers.scripted import Script

ProviderType: TypeAlias = Literal[
    "openai",
    "azure",
    "openrouter",
    "openai_compatible",
    "anthropic",
    "gemini",
    "ollama",
    "scripted",
]
"""Kinds of upstream a policy can declare."""

LogLevel: TypeAlias = Literal["debug", "info", "warning", "error"]
"""Log levels a policy can set."""


def _no_headers() -> Mapping[str, str]:
    return MappingProxyType({})


def _no_capabilities() -> Mapping[str, int | bool]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per million tokens, for the ``cost_usd_total`` metric; the prompt's cached
    part at ``cached_input_per_mtok`` (read) and ``cache_write_per_mtok`` (written)
    when given, else at the input price."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None
    cache_write_per_mtok: float | None = None


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One declared upstream (``providers.<name>``).

    ``api_key`` is ``None`` when the policy leaves it to the provider's usual
    environment variable. ``scripts`` is only used by ``scripted`` providers.
    ``max_concurrency`` (with ``max_waiting``, ``wait_timeout``) puts a bulkhead in
    front of the provider (:class:`~llm_router.layers.bulkhead.Slots`).
    """

    name: str
    type: ProviderType
    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_version: str | None = None
    headers: Mapping[str, str] = field(default_factory=_no_headers, repr=False)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryConfig = field(default_factory=RetryConfig)
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    max_concurrency: int | None = None
    max_waiting: int | None = None
    wait_timeout: float | None = None
    prices: Prices | None = None
    context_window: int | None = None
    scripts: tuple[Script, ...] = ()
    prefill: bool | None = None
    """Whether the deployment continues a final assistant message (stream rescue);
    ``None``: the provider type's default (Anthropic yes, OpenAI's API no)."""
    capabilities: Mapping[str, int | bool] = field(default_factory=_no_capabilities)
    """Overrides of the type's capabilities (docs/DESIGN.md §4.6), by name."""


@dataclass(frozen=True, slots=True)
class CandidateSpec:
    """One candidate of a route: a provider, optionally with another model."""

    provider: str
    model: str | None = None
    weight: float = 1.0
    context_window: int | None = None
    capabilities: Mapping[str, int | bool] = field(default_factory=_no_capabilities)
    """Overrides of the provider's capabilities for this model, by name."""

    @property
    def deployment(self) -> str:
        """The breaker's unit: the provider, or ``provider/model`` when overridden."""
        return self.provider if self.model is None else f"{self.provider}/{self.model}"


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A named route: candidates in order of preference and its options."""

    name: str
    candidates: tuple[CandidateSpec, ...]
    failover_on_content_filter: bool = False
    rescue: RescueConfig | None = None
    """Stream rescue for this route (``None``: the policy's ``rescue``)."""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """An extra task-detection rule: a case-insensitive regex that scores a task."""

    task: str
    pattern: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class TasksSpec:
    """Task-detection settings (``tasks:``)."""

    long_context_tokens: int = 32000
    rules: tuple[RuleSpec, ...] = ()
    disabled: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class BreakerStorageSpec:
    """Where breaker state lives: this process (``memory``) or shared through Redis."""

    kind: Literal["memory", "redis"] = "memory"
    url: str | None = field(default=None, repr=False)
    key_prefix: str = "llm_router:breaker"


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """Gateway settings (``server:``); no ``api_keys`` means an open gateway."""

    host: str = "127.0.0.1"
    port: int = 8080
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    max_body_bytes: int = 1024 * 1024
    shutdown_grace: float = 30.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 75.0


@dataclass(frozen=True, slots=True)
class LoggingSpec:
    """Logging settings; ``json=None`` picks JSON unless stderr is a terminal."""

    level: LogLevel = "info"
    json: bool | None = None
    include_content: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole, validated policy file. Mappings keep the file's order."""

    file: str
    providers: Mapping[str, ProviderSpec]
    routes: Mapping[str, RouteSpec]
    tasks: TasksSpec = TasksSpec()
    breaker_storage: BreakerStorageSpec = BreakerStorageSpec()
    server: ServerSpec = ServerSpec()
    logging: LoggingSpec = LoggingSpec()
    deadline: float = 60.0
    rescue: RescueConfig = RescueConfig()
    """Stream rescue for routes that set none (docs/DESIGN.md §4.5)."""
