"""Closed sets of label values, so metric cardinality is bounded by construction.

Every label value the metrics export is looked up here. A value outside its set
becomes :data:`OTHER`: whatever a request carries (a random ``model``, a made-up
task in ``metadata``, an unknown error class), the number of series cannot grow past
what the policy declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from llm_router import errors
from llm_router.observe import OUTCOMES

OTHER = "other"
"""The label value for anything outside a closed set."""

BREAKER_STATES: tuple[str, ...] = ("closed", "half_open", "open")

DEFAULT_LEARNED_PROVIDERS = 32
"""How many provider names are admitted when none were declared (first come)."""

DEFAULT_LEARNED_MODELS = 8
"""How many model names per provider are admitted when none were declared."""


def error_reasons() -> frozenset[str]:
    """Every ``reason`` declared by a :class:`~llm_router.errors.ProviderError` class
    (including subclasses defined by users), read when called."""
    seen: set[str] = set()
    todo: list[type[errors.ProviderError]] = [errors.ProviderError]
    while todo:
        cls = todo.pop()
        seen.add(cls.reason)
        todo.extend(cls.__subclasses__())
    return frozenset(seen)


class _BoundedSet:
    """A set of admitted values: the declared ones, or the first ``limit`` seen."""

    __slots__ = ("_learn", "_limit", "_values")

    def __init__(self, declared: Iterable[str], limit: int) -> None:
        self._values = set(declared)
        self._learn = not self._values
        self._limit = limit

    def get(self, value: str) -> str:
        if value in self._values:
            return value
        if self._learn and value and len(self._values) < self._limit:
            self._values.add(value)
            return value
        return OTHER

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)


class LabelSets:
    """Maps raw values (from the router, errors, breakers) to bounded label values.

    ``providers`` are deployment names; ``models`` maps a deployment to the model
    name(s) it serves. A model reported by an upstream that was not declared for its
    deployment becomes the deployment's model when exactly one was declared (an
    upstream's dated variant such as ``gpt-4o-2024-08-06`` is counted under
    ``gpt-4o``), otherwise ``other``. Declared sets are closed. Only when nothing at
    all is declared for a dimension (a hand-built stack) are the first
    ``learned_providers`` provider names, and the first ``learned_models`` models of
    each provider, admitted as they are seen; beyond that everything is ``other``.
    Task, outcome, reason and state labels are always closed sets.
    """

    def __init__(
        self,
        *,
        providers: Sequence[str] = (),
        models: Mapping[str, str | Sequence[str]] | None = None,
        tasks: Sequence[str] = (),
        learned_providers: int = DEFAULT_LEARNED_PROVIDERS,
        learned_models: int = DEFAULT_LEARNED_MODELS,
    ) -> None:
        declared_models = {
            p: ((m,) if isinstance(m, str) else tuple(m)) for p, m in (models or {}).items()
        }
        self._providers = _BoundedSet([*providers, *declared_models], learned_providers)
        self._models = {p: _BoundedSet(ms, learned_models) for p, ms in declared_models.items()}
        self._single = {p: ms[0] for p, ms in declared_models.items() if len(ms) == 1}
        self._learned_models = learned_models if not declared_models else 0
        self._tasks = frozenset(tasks)
        self._reasons = error_reasons()

    @property
    def declared_providers(self) -> frozenset[str]:
        """The provider label values admitted so far (declared or learned)."""
        return self._providers.values

    def provider(self, name: str) -> str:
        """The label value for a deployment name."""
        return self._providers.get(name)

    def model(self, provider: str, model: str) -> str:
        """The label value for ``model`` as served by ``provider`` (already mapped)."""
        if provider == OTHER:
            return OTHER
        known = self._models.get(provider)
        if known is None:
            known = self._models.setdefault(provider, _BoundedSet((), self._learned_models))
        value = known.get(model)
        if value == OTHER and provider in self._single:
            return self._single[provider]
        return value

    def task(self, task: str) -> str:
        """The label value for a task name."""
        return task if task in self._tasks else OTHER

    def outcome(self, outcome: str) -> str:
        """The label value for a stream outcome."""
        return outcome if outcome in OUTCOMES else OTHER

    def reason(self, reason: str) -> str:
        """The label value for an error reason (the ``reason`` class attribute)."""
        if reason not in self._reasons:
            self._reasons = error_reasons()  # a user error class defined since
        return reason if reason in self._reasons else OTHER

    def state(self, state: str) -> str:
        """The label value for a breaker state."""
        return state if state in BREAKER_STATES else OTHER
