"""What a rescue tries (docs/DESIGN.md §4.5): the options for a broken stream, in order,
and the request each one sends. :mod:`._rescue` runs them.

``continue`` needs delivered text (a prefill carries text only), a deployment that
accepts a prefill, and something left of the caller's ``max_tokens``: the cap is for
the whole answer, so a continuation asks only for the rest (:meth:`Delivered.tokens`
estimates what was delivered), and an answer whose format is free: under a JSON schema
or a grammar (:func:`constrained`) servers that apply the constraint to the new tokens
alone (vLLM's and SGLang's structured outputs, Anthropic's forced tool) would start a
new document after the prefill, so such an answer is only replayed, whose seam is
checked byte for byte. ``replay`` goes to the deployment that failed first
after a cut or reset (a deterministic model reproduces its own prefix), to the others
first after a stall (it would cost its timeout again).
"""

from __future__ import annotations

from collections.abc import Sequence

from llm_router.capabilities import response_format_type
from llm_router.config import RescueConfig, RescueStrategy
from llm_router.errors import DeadlineExceeded, FirstTokenTimeout, IdleTimeout, ProviderError
from llm_router.layers.routing._routes import Candidate
from llm_router.layers.routing._seam import Delivered
from llm_router.types import ChatRequest, Message

STALLS = (IdleTimeout, FirstTokenTimeout, DeadlineExceeded)
"""The failures of a deployment that went silent (a replay tries the others first)."""

GRAMMARS = frozenset(
    {
        *("guided_json", "guided_regex", "guided_choice", "guided_grammar"),
        *("structured_outputs", "grammar", "json_schema", "regex", "ebnf"),
    }
)
"""Request options of OpenAI-compatible servers that constrain the output (vLLM,
SGLang, llama.cpp, TGI), passed through ``ChatRequest.extra``."""


def constrained(request: ChatRequest) -> bool:
    """Whether ``request`` constrains its answer's format: ``response_format`` of type
    ``json_object`` or ``json_schema``, or a server's grammar option (:data:`GRAMMARS`)."""
    extra = request.extra
    if response_format_type(extra) in ("json_object", "json_schema"):
        return True
    return not GRAMMARS.isdisjoint(extra)


def plan(
    config: RescueConfig,
    order: Sequence[Candidate],
    failed: Candidate,
    cause: ProviderError,
    delivered: Delivered,
    base_max_tokens: int | None = None,
    constrained: bool = False,
) -> list[tuple[RescueStrategy, Candidate]]:
    """The rescue options for a failure of ``failed``, in the order they are tried
    (``continue`` only while the caller's ``base_max_tokens`` is not used up, and never
    for an answer whose format is ``constrained``)."""
    others = [c for c in order if c is not failed]
    options: list[tuple[RescueStrategy, Candidate]] = []
    for strategy in config.strategies:
        if strategy == "continue":
            if delivered.calls or not delivered.text:
                continue  # a prefill carries text only
            if constrained:
                continue  # the constraint would restart after the prefill
            if _budget_left(base_max_tokens, delivered) == 0:
                continue  # the delivered output used the caller's max_tokens up
            options += [("continue", c) for c in (failed, *others) if c.prefill]
        else:
            options += [("replay", c) for c in replay_order(failed, others, cause)]
    return options


def replay_order(
    failed: Candidate, others: Sequence[Candidate], cause: ProviderError
) -> tuple[Candidate, ...]:
    """Where the whole answer is asked for again after ``failed`` broke with ``cause``:
    ``failed`` first after a cut or reset (a deterministic model reproduces its own
    answer), last after a stall (it would cost its timeout again)."""
    return (*others, failed) if isinstance(cause, STALLS) else (failed, *others)


def rescue_request(
    base: ChatRequest, cand: Candidate, strategy: RescueStrategy, delivered: Delivered
) -> ChatRequest:
    """What a rescue stream on ``cand`` sends: ``base`` on ``cand``'s model, and for
    ``continue`` the delivered text as a prefill, within what is left of the cap."""
    request = base if cand.model is None else base.replace(model=cand.model)
    if strategy == "continue":
        # trailing whitespace in a prefill is refused by some APIs (Anthropic) and
        # tokenises badly elsewhere: it is left out and restored by the seam
        prefill = Message(role="assistant", content=delivered.text.rstrip())
        request = request.replace(messages=(*request.messages, prefill))
        left = _budget_left(base.max_tokens, delivered)
        if left is not None:  # the caller's cap is for the whole answer, not per stream
            request = request.replace(max_tokens=left)
    return request


def _budget_left(max_tokens: int | None, delivered: Delivered) -> int | None:
    """What is left of the caller's ``max_tokens`` after the delivered output (by
    :meth:`Delivered.tokens`), at least 0; ``None`` when the caller set no cap."""
    return None if max_tokens is None else max(0, max_tokens - delivered.tokens())
