"""What both scripted upstreams share: the script of replies and the requests received."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.testing._reply import Reply
from llm_router.testing._wire import KINDS, Kind

DEFAULT_MODELS: Mapping[Kind, str] = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
"""The model a scripted upstream reports when neither the reply nor the request names one."""


@dataclass(frozen=True, slots=True)
class Received:
    """One request a scripted upstream received."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The request body as JSON (``None`` if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class ScriptedUpstream:
    """A scripted upstream of one ``kind``: :meth:`script` sets the replies of the next
    requests (in order; the last repeats), :attr:`requests` records what came in."""

    def __init__(self, kind: Kind, *, model: str | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown upstream kind {kind!r}; one of {', '.join(KINDS)}")
        self.kind: Kind = kind
        self.model = model or DEFAULT_MODELS[kind]
        self.replies: list[Reply] = [Reply()]
        self.requests: list[Received] = []

    def script(self, *replies: Reply) -> ScriptedUpstream:
        """Answer the next requests with ``replies`` (the last one repeats); returns self."""
        self.replies = list(replies) or [Reply()]
        return self

    @property
    def calls(self) -> int:
        """How many requests arrived."""
        return len(self.requests)

    def next_reply(self, received: Received) -> Reply:
        """Record ``received`` and pick its reply."""
        self.requests.append(received)
        return self.replies[min(len(self.requests), len(self.replies)) - 1]

    def model_for(self, reply: Reply, received: Received) -> str:
        """The model the answer reports: the reply's, the request's, else the default."""
        body = received.json
        asked = body.get("model") if isinstance(body, dict) else None
        return reply.model or (asked if isinstance(asked, str) and asked else self.model)

    def headers_for(self, reply: Reply) -> dict[str, str]:
        """The answer's extra headers (``Retry-After`` from ``retry_after``)."""
        headers = dict(reply.headers)
        if reply.retry_after is not None:
            headers.setdefault("Retry-After", f"{reply.retry_after:g}")
        return headers
