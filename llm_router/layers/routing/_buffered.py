"""Non-streaming calls read the whole answer as setup (docs/DESIGN.md §1.2):
:func:`buffer_whole` restarts a stream that broke on the way through the failover
loop, since nothing was shown of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from llm_router.errors import AllProvidersFailed, Attempt, ProviderError, StreamInterrupted
from llm_router.layers.commit import Opened
from llm_router.layers.routing._plan import replay_order
from llm_router.layers.routing._routes import Candidate
from llm_router.layers.routing._walk import Run, skip_reason
from llm_router.observe import Hook, Retried
from llm_router.types import ChatRequest, StreamChunk

Opener = Callable[[Run, ChatRequest], Awaitable[tuple[Candidate, Opened]]]


async def buffer_whole(
    run: Run,
    base: ChatRequest,
    open_: Opener,
    stopped: Callable[[str, Candidate], None],
    hook: Hook | None = None,
    *,
    restarts: int = 2,
) -> list[StreamChunk]:
    """Read a whole stream for a caller that shows nothing before the end
    (docs/DESIGN.md §1.2). A stream that breaks before its finish signal has shown
    nothing either: it is started afresh through the failover loop (``open_``), at most
    ``restarts`` times, in the order :func:`restart_order` gives, and each restart is
    reported as a failure before the commit point is: a ``Retried`` event when the
    same deployment goes again, a fallback (``FellBack``, counted in the stream's
    record) when another one is next. A cause that would not fail over before the
    commit point (a content refusal, a bad request) is raised as it is. If no restart
    completes, :class:`AllProvidersFailed` lists every broken stream and every failed
    candidate."""
    broken: list[Attempt] = []
    for restart in range(restarts + 1):
        try:
            cand, opened = await open_(run, base)
        except AllProvidersFailed as exc:
            if not broken:
                raise
            raise AllProvidersFailed([*broken, *exc.attempts], route=exc.route) from exc
        whole = [opened.first]
        ended: BaseException | None = None
        try:
            async for chunk in opened.rest:
                whole.append(chunk)
            return whole
        except StreamInterrupted as exc:
            ended = cut = exc
        except BaseException as exc:
            ended = exc
            raise
        finally:
            await opened.finish(ended)  # the breaker has the break before the order is set
            stopped(run.request_id, cand)
        cause = cut.cause
        if not run.fails_over(cause):  # a refusal, a bad request: as before commit
            raise cause from cut
        broken.append(Attempt(cand.deployment, cause))
        if restart < restarts:
            breaks = sum(a.provider == cand.deployment for a in broken)
            again = breaks == 1 and skip_reason(cand, None) is None
            run.order = restart_order(run.order, cand, cause, again=again)
            _report(run, cand, cause, hook, breaks)
    raise AllProvidersFailed(broken, route=run.resolution.route.name)


def restart_order(
    order: tuple[Candidate, ...], broke: Candidate, cause: ProviderError, *, again: bool
) -> tuple[Candidate, ...]:
    """The order to walk after ``broke``'s stream broke with ``cause``: the candidates
    after it, in route order, then those before it, with ``broke`` placed as a replay
    places it (:func:`._plan.replay_order`) when the cause is retryable and ``again``
    (its first break, its breaker still admitting); else last."""
    i = order.index(broke)
    others = (*order[i + 1 :], *order[:i])
    if again and cause.retryable:
        return replay_order(broke, others, cause)
    return (*others, broke)


def _report(
    run: Run, broke: Candidate, cause: ProviderError, hook: Hook | None, attempt: int
) -> None:
    """Report the restart after ``broke``'s stream broke with ``cause`` (its
    ``attempt``-th break): a retry when it goes again first, else a fallback."""
    nxt = run.order[0]
    if nxt is not broke:
        run.moved_on(broke, nxt, cause.reason, hook)
    elif hook is not None:
        hook(Retried(run.request_id, broke.deployment, cause.reason, attempt, 0.0))
