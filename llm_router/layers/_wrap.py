"""What every layer that wraps one provider has: its name and the next layer down."""

from __future__ import annotations

from llm_router.types import Provider


class Wrapper:
    """Base of a layer over one provider (``self._inner``): it answers to the inner
    provider's ``name`` and exposes it as ``inner``."""

    _inner: Provider

    @property
    def name(self) -> str:
        """The inner provider's name."""
        return self._inner.name

    @property
    def inner(self) -> Provider:
        """The wrapped provider (the next layer down)."""
        return self._inner
