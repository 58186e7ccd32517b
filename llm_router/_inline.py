"""Run at once the task steps a connection's callback has just made ready.

When bytes arrive, asyncio calls the connection's ``data_received``; what that wakes
(a task waiting for a request, for response headers, for the first token) runs only
at the next loop turn, behind every callback already queued. Under load each turn
handles a wave of other streams' events, so each such hop costs milliseconds: on the
way to the first token a gateway request passes several (aiohttp's server wakes its
connection's task, which starts the handler's task; on Python 3.11 aiohttp's client
writes the request body from a task of its own; the response headers and the first
token each wake the handler), and they were most of the time the gateway added.

:func:`run_woken`, called by a connection's ``data_received`` right after it has done
its own work, runs the *task steps* that work scheduled, in the order they were
scheduled, before returning to the loop: what the bytes made ready proceeds in the
same callback, and in turn may make the next step ready (the handler's task, then
the body write), up to :data:`LIMIT` steps. It stops at the first callback that is
not a task step (that one, and all after it, stay queued in order), so nothing runs
out of the order in which it was scheduled; it only runs earlier than the callbacks
queued before the bytes came. It does nothing inside a running task (a task step
cannot run inside another) or on a loop without a ready queue it knows (uvloop).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

LIMIT = 8
"""Task steps run per callback at most (a task that keeps yielding is not run forever)."""

Ready = deque[Any]
"""The event loop's queue of ready callbacks (``asyncio.Handle`` objects)."""


def ready_queue(loop: asyncio.AbstractEventLoop) -> Ready | None:
    """``loop``'s ready queue (CPython's ``BaseEventLoop``), or ``None`` for any other
    loop: then nothing is run early."""
    ready = getattr(loop, "_ready", None) if isinstance(loop, asyncio.BaseEventLoop) else None
    return ready if type(ready) is deque else None


def run_woken(ready: Ready, since: int) -> None:
    """Run the task steps queued in ``ready`` after its first ``since`` callbacks, in
    order, while they are task steps, up to :data:`LIMIT` (see the module doc)."""
    if asyncio.current_task() is not None:
        return
    for _ in range(LIMIT):
        if len(ready) <= since:
            return
        handle = ready[since]
        if not isinstance(getattr(handle._callback, "__self__", None), asyncio.Task):
            return
        del ready[since]
        if not handle._cancelled:
            handle._run()
