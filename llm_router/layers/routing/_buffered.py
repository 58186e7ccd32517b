"""Non-streaming calls read the whole answer as setup (docs/DESIGN.md §1.2):
:func:`buffer_whole` restarts a stream that broke on the way through the failover
loop, since nothing was shown of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from llm_router.errors import AllProvidersFailed, Attempt, StreamInterrupted
from llm_router.layers.commit import Opened
from llm_router.layers.routing._routes import Candidate
from llm_router.layers.routing._walk import Run
from llm_router.types import ChatRequest, StreamChunk

Opener = Callable[[Run, ChatRequest], Awaitable[tuple[Candidate, Opened]]]


async def buffer_whole(
    run: Run,
    base: ChatRequest,
    open_: Opener,
    stopped: Callable[[str, Candidate], None],
    *,
    restarts: int = 2,
) -> list[StreamChunk]:
    """Read a whole stream for a caller that shows nothing before the end
    (docs/DESIGN.md §1.2). A stream that breaks before its finish signal has shown
    nothing either: it is started afresh through the failover loop (``open_``), the
    candidates after the broken one first and the broken one last, at most
    ``restarts`` times. If no restart completes, :class:`AllProvidersFailed` lists
    every broken stream and every failed candidate."""
    broken: list[Attempt] = []
    for _ in range(restarts + 1):
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
            ended = exc
            broken.append(Attempt(cand.deployment, exc.cause))
            i = run.order.index(cand)
            run.order = (*run.order[i + 1 :], *run.order[:i], cand)
        except BaseException as exc:
            ended = exc
            raise
        finally:
            await opened.finish(ended)
            stopped(run.request_id, cand)
    raise AllProvidersFailed(broken, route=run.resolution.route.name)
