"""What a deployment can serve, and what a request needs (docs/DESIGN.md §4.6).

A :class:`Capabilities` value describes one deployment (a provider and model pair):
its context window, its longest answer, and whether it takes tools, images and a JSON
schema response format, and continues a final assistant message (``prefill``, used by
stream rescue). Each provider class declares the defaults of its API
(``default_capabilities``); a policy or a :class:`~llm_router.builder.RouteEntry`
overrides them per deployment.

:meth:`Needs.of` reads what a request needs, once per request and without touching
the network; :meth:`Capabilities.lacks` says which capability a deployment is missing
for it. The router skips such candidates before calling anything
(:class:`~llm_router.errors.Unsupported`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, TypeAlias, get_args

from llm_router.errors import ConfigurationError
from llm_router.types import ChatRequest

Capability: TypeAlias = Literal[
    "context_window", "max_output_tokens", "tools", "vision", "json_schema", "prefill"
]
"""The name of one capability (a field of :class:`Capabilities`)."""

CHARS_PER_TOKEN = 5
"""Characters per token of the prompt estimate. Deliberately more than the usual four,
so the estimate stays *below* the real count: a candidate is skipped only when the
prompt surely does not fit its window. A prompt the estimate lets through but the
window does not is the upstream's context-length error, which fails over to a larger
window (docs/DESIGN.md §1.3)."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one deployment can serve.

    ``context_window`` and ``max_output_tokens`` are in tokens (``None``: not declared,
    never a reason to skip). ``tools``: takes function tools; ``vision``: takes image
    parts; ``json_schema``: honours ``response_format: json_schema`` (natively or by
    translation); ``prefill``: continues a final assistant message (stream rescue).
    """

    context_window: int | None = None
    max_output_tokens: int | None = None
    tools: bool = True
    vision: bool = True
    json_schema: bool = True
    prefill: bool = False

    def __post_init__(self) -> None:
        for name in ("context_window", "max_output_tokens"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value <= 0):
                raise ConfigurationError(f"capabilities.{name} must be an int > 0, got {value!r}")
        for name in ("tools", "vision", "json_schema", "prefill"):
            if type(getattr(self, name)) is not bool:
                raise ConfigurationError(f"capabilities.{name} must be true or false")

    def replace(self, **changes: Any) -> Capabilities:
        """A copy with ``changes`` applied; unknown names are a ``ConfigurationError``."""
        unknown = sorted(set(changes) - set(CAPABILITY_NAMES))
        if unknown:
            raise ConfigurationError(f"unknown capabilities: {', '.join(unknown)}")
        return replace(self, **changes)

    @property
    def admits_all(self) -> bool:
        """Whether no request can lack anything here (nothing refused, no limit), so
        its :class:`Needs` need not be read."""
        return (
            self.tools
            and self.vision
            and self.json_schema
            and self.context_window is None
            and self.max_output_tokens is None
        )

    def lacks(self, needs: Needs) -> Lack | None:
        """The first capability this deployment is missing to serve ``needs``, or ``None``."""
        if needs.tools and not self.tools:
            return Lack("tools", "tools", "the request has tools")
        if needs.vision and not self.vision:
            return Lack("vision", "messages", "the request has an image part")
        if needs.json_schema and not self.json_schema:
            return Lack("json_schema", "response_format", "the request asks for a JSON schema")
        window = self.context_window
        if window is not None and needs.prompt_tokens > window:
            return Lack(
                "context_window",
                "messages",
                f"the prompt is at least ~{needs.prompt_tokens} tokens, the window {window}",
            )
        most = self.max_output_tokens
        if most is not None and needs.max_tokens is not None and needs.max_tokens > most:
            return Lack(
                "max_output_tokens",
                "max_tokens",
                f"max_tokens is {needs.max_tokens}, the deployment answers at most {most}",
            )
        return None

    def to_dict(self) -> dict[str, int | bool | None]:
        """A JSON-able dict (for ``explain``)."""
        return {name: getattr(self, name) for name in CAPABILITY_NAMES}


CAPABILITY_NAMES: tuple[Capability, ...] = get_args(Capability)
"""Every capability, in declaration order."""
assert tuple(f.name for f in fields(Capabilities)) == CAPABILITY_NAMES, "keep them in step"


@dataclass(frozen=True, slots=True)
class Lack:
    """A missing capability: which one, the request field that needs it (``param``),
    and why, in words (never prompt text)."""

    capability: Capability
    param: str
    why: str

    def message(self, deployment: str) -> str:
        """``"<deployment> cannot serve this request: no <capability> (<why>)"``."""
        return f"{deployment} cannot serve this request: no {self.capability} ({self.why})"


@dataclass(frozen=True, slots=True)
class Needs:
    """What a request needs from a deployment (see :meth:`of`)."""

    tools: bool = False
    vision: bool = False
    json_schema: bool = False
    prompt_tokens: int = 0
    """A low estimate of the prompt's tokens (:data:`CHARS_PER_TOKEN`)."""
    max_tokens: int | None = None

    @classmethod
    def of(cls, request: ChatRequest) -> Needs:
        """Read ``request``: tools given, an image part, ``response_format: json_schema``
        (in ``extra``), the prompt's size and ``max_tokens``."""
        chars = 0
        vision = False
        for message in request.messages:
            chars += len(message.text())
            vision = vision or message.has_image()
        return cls(
            tools=bool(request.tools),
            vision=vision,
            json_schema=response_format_type(request.extra) == "json_schema",
            prompt_tokens=chars // CHARS_PER_TOKEN,
            max_tokens=request.max_tokens,
        )


def response_format_type(extra: Mapping[str, Any]) -> str | None:
    """The ``type`` of ``extra["response_format"]`` (``text``, ``json_object``,
    ``json_schema``…), or ``None`` when there is none or it has no string type."""
    fmt = extra.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    return kind if isinstance(kind, str) else None


__all__ = [
    "CAPABILITY_NAMES",
    "CHARS_PER_TOKEN",
    "Capabilities",
    "Capability",
    "Lack",
    "Needs",
    "response_format_type",
]
