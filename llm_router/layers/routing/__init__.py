"""The routing layer (docs/DESIGN.md §4.3): task → route → candidates, failover before commit.

The router walks a route's candidates in order. A candidate is abandoned before
commit — it cannot serve the request (a capability it lacks or an option its provider
refuses, ``Unsupported``, docs/DESIGN.md §4.6), breaker open, bulkhead full
(``ProviderBusy``), a failure that ``fails_over``, a prompt too long for it —
for the next one; once a candidate's first chunk is yielded the router is a
pass-through, so the caller's text always comes from exactly one upstream.

It is also where each routed stream is recorded **once**, when it ends:
a :class:`~llm_router.observe.StreamEnded` event for the ``hook``, with outcome
``success``, ``error`` (failed before commit), ``interrupted`` (``StreamInterrupted``)
or ``cancelled`` (the consumer stopped: ``break``, ``aclose()``, task cancellation).

This package's face is this module. Inside: ``_router`` (the :class:`Router` layer),
``_routes`` (routes and candidates), ``_resolve`` (how a request's ``model`` picks a
route, and its task label), ``_walk``
(one stream's walk over its candidates: order, skips, its record) and ``_explain``
(``Router.explain`` and ``Router.status``).
"""

from llm_router.layers.routing._explain import CandidateExplanation, Explanation
from llm_router.layers.routing._resolve import (
    AUTO,
    DEFAULT_ROUTE,
    DetectionLike,
    Detector,
    Resolution,
    UnknownModel,
)
from llm_router.layers.routing._router import Router
from llm_router.layers.routing._routes import BreakerView, BulkheadView, Candidate, Route
from llm_router.layers.routing._walk import stack_of

__all__ = [
    "AUTO",
    "DEFAULT_ROUTE",
    "BreakerView",
    "BulkheadView",
    "Candidate",
    "CandidateExplanation",
    "DetectionLike",
    "Detector",
    "Explanation",
    "Resolution",
    "Route",
    "Router",
    "UnknownModel",
    "stack_of",
]
