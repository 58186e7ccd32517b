"""OpenAI Chat Completions streaming — also Azure OpenAI, OpenRouter and any
OpenAI-compatible server (vLLM, llama.cpp, LiteLLM proxy, Ollama's ``/v1``).

Azure differs in the URL (``/openai/deployments/{deployment}/chat/completions`` with
``api-version``), the ``api-key`` header, a first chunk with empty ``choices`` and
``prompt_filter_results`` and annotation chunks with ``content_filter_results`` (all
consumed like any empty delta). A completion its filter stops ends with
``finish_reason: "content_filter"`` (HTTP 200); a prompt it blocks is a 400 with
``code: content_filter`` (→ :class:`~llm_router.errors.ContentFiltered`). A 429's
``retry-after-ms`` (milliseconds) is preferred to ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import aiohttp
from yarl import URL

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._decoder import StreamDecoder
from llm_router.providers._fields import OPENAI
from llm_router.providers._http import DEFAULT_TIMEOUTS, HTTPStreamProvider
from llm_router.providers._openai_decode import OpenAIDecoder
from llm_router.providers._translate import ANTHROPIC_ONLY, anthropic_only, plain, refusal
from llm_router.types import ChatRequest, Message

_AZURE_ENV = "AZURE_OPENAI_API_KEY"
_OPENROUTER_ENV = "OPENROUTER_API_KEY"


def openai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in OpenAI's request shape."""
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role}
        if isinstance(m.content, tuple):
            item["content"] = plain(m.content)
        else:
            item["content"] = m.content
        if m.name is not None:
            item["name"] = m.name
        if m.tool_calls is not None:
            item["tool_calls"] = plain(m.tool_calls)
        if m.tool_call_id is not None:
            item["tool_call_id"] = m.tool_call_id
        out.append(item)
    return out


def openai_options(request: ChatRequest, provider: str = "openai") -> dict[str, Any]:
    """The request's options in OpenAI's body shape (all of the body but ``model``,
    ``messages``, ``stream`` and ``stream_options``); ``extra`` goes as it is, last, but
    for Anthropic's own options (``ANTHROPIC_ONLY``), which are left out (logged)."""
    body: dict[str, Any] = {}
    for key in ("max_tokens", "temperature", "top_p", "tool_choice"):
        value = getattr(request, key)
        if value is not None:
            body[key] = plain(value)
    if request.stop is not None:
        body["stop"] = list(request.stop)
    if request.tools is not None:
        body["tools"] = plain(request.tools)
    extra = request.extra
    if ANTHROPIC_ONLY in extra:
        anthropic_only(request, False, provider)  # logged as dropped
        extra = {k: v for k, v in extra.items() if k != ANTHROPIC_ONLY}
    body.update(plain(extra))
    return body


class OpenAIProvider(HTTPStreamProvider):
    """OpenAI Chat Completions streaming (``api_style="openai"``) or Azure OpenAI
    (``api_style="azure"``: ``model`` is the deployment; key from
    ``AZURE_OPENAI_API_KEY``). With an OpenRouter ``base_url`` the key defaults to
    ``OPENROUTER_API_KEY``; for keyless OpenAI-compatible servers pass
    ``require_api_key=False``. ``include_usage`` asks for the trailing usage chunk.
    """

    wire: ClassVar[Literal["sse", "ndjson"]] = "sse"
    env_var: ClassVar[str] = "OPENAI_API_KEY"

    def __init__(
        self,
        *,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        api_key: str | None = None,
        name: str = "openai",
        api_style: Literal["openai", "azure"] = "openai",
        api_version: str = "2024-10-21",
        include_usage: bool = True,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        session: aiohttp.ClientSession | None = None,
        extra_headers: Mapping[str, str] | None = None,
        trailer_grace: float = 0.5,
        require_api_key: bool = True,
        prefill: bool = False,
    ) -> None:
        if api_style not in ("openai", "azure"):
            raise errors.ConfigurationError(
                f"{name}: api_style must be 'openai' or 'azure', got {api_style!r}"
            )
        env_var = self.env_var
        if api_style == "azure":
            env_var = _AZURE_ENV
        elif isinstance(base_url, str) and (URL(base_url).host or "").endswith("openrouter.ai"):
            env_var = _OPENROUTER_ENV
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            model=model,
            name=name,
            timeouts=timeouts,
            session=session,
            extra_headers=extra_headers,
            trailer_grace=trailer_grace,
            require_api_key=require_api_key,
            env_var=env_var,
            prefill=prefill,
        )
        self.api_style = api_style
        self.api_version = api_version
        self.include_usage = include_usage

    def build_request(
        self, request: ChatRequest, model: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """URL, headers and body of a streaming Chat Completions call; the request's
        OpenAI options go as they are (docs/DESIGN.md §2.1)."""
        refused = self.unsupported(request)
        if refused is not None:
            raise refused
        headers = {"Accept": "text/event-stream"}
        body: dict[str, Any] = {"messages": openai_messages(request.messages), "stream": True}
        if self.api_style == "azure":
            url = (
                f"{self.base_url}/openai/deployments/{quote(model, safe='')}/chat/completions"
                f"?api-version={quote(self.api_version, safe='')}"
            )
            if self._api_key:
                headers["api-key"] = self._api_key
        else:
            url = f"{self.base_url}/chat/completions"
            body["model"] = model
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        if self.prefill and request.messages and request.messages[-1].role == "assistant":
            # A prefill: vLLM and SGLang continue a final assistant message only when
            # told so (else they open a new turn after it); llama.cpp takes the same
            # two fields, and one that refuses them answers 400 (rescue moves on)
            body["continue_final_message"] = True
            body["add_generation_prompt"] = False
        body.update(openai_options(request, self.name))
        headers.update(self.extra_headers)
        return url, headers, body

    def unsupported(self, request: ChatRequest) -> errors.Unsupported | None:
        """An output modality other than text (the gateway relays text only)."""
        return refusal(request, OPENAI, self.name, any_format=True)

    def new_decoder(self, model: str) -> StreamDecoder:
        """A Chat Completions chunk decoder."""
        return OpenAIDecoder(
            self.name, model, want_usage=self.include_usage, await_done=self.api_style == "azure"
        )


__all__ = ["OpenAIProvider", "openai_messages", "openai_options", "plain"]
