"""What a model costs (:class:`Price`), public as :class:`llm_router.observe.metrics.Price`."""

from __future__ import annotations

from dataclasses import dataclass

from llm_router.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class Price:
    """What a model costs, in US dollars per million tokens: ``input`` and ``output``,
    and for the prompt's cached part ``cached_input`` (read from the cache) and
    ``cache_write`` (written to it); ``None`` bills those at ``input``."""

    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None

    def __post_init__(self) -> None:
        values = (self.input, self.output, self.cached_input, self.cache_write)
        if any(v is not None and v < 0 for v in values):
            raise ConfigurationError(f"prices must be >= 0, got {values}")

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_input_tokens: int = 0,
        cache_write_input_tokens: int = 0,
    ) -> float:
        """The cost in USD of a stream with this usage (the cached counts are parts of
        ``input_tokens``)."""
        read = cached_input_tokens if self.cached_input is not None else 0
        written = cache_write_input_tokens if self.cache_write is not None else 0
        fresh = max(input_tokens - read - written, 0)
        total = fresh * self.input + output_tokens * self.output
        total += read * (self.cached_input or 0.0) + written * (self.cache_write or 0.0)
        return total / 1_000_000
