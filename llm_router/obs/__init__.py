"""Observability: Prometheus metrics (:mod:`.metrics`) and structured logs (:mod:`.logs`).

Both are :class:`~llm_router.observe.Observer` implementations fed by the layers'
hooks, once per stream. Import from the submodules (or from ``llm_router``); this
package re-exports nothing.
"""
