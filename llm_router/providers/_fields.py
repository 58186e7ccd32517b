"""The translation table: what each provider does with every OpenAI chat request field
(docs/DESIGN.md §2.1).

A request written for OpenAI must mean the same on every provider of a route, or not
be sent there. Each field is, per provider:

- ``native``: sent as is;
- ``translated``: mapped onto the provider's own equivalent (the note says where);
- ``dropped``: left out, logged at debug (``request.field_dropped``): it has no
  equivalent and leaving it out does not change what the answer is (sampling hints,
  billing and storage options);
- ``refused``: the provider cannot honour it and dropping it would change the answer:
  the candidate is skipped before any call (:class:`~llm_router.errors.Unsupported`)
  and the request goes to one that can, or is answered 400 when none can.

The tables below are the documentation *and* the code's decisions for ``dropped`` and
``refused`` fields (:mod:`._translate`); ``translated`` fields are handled in each
provider's request module. :func:`render` prints them as the README's table, and a
test checks that the README shows exactly that and that every field the gateway
accepts has a row. ``ChatRequest.extra`` keys that are not OpenAI fields are the
provider's own options and are merged into its body as they are (library use).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

Action: TypeAlias = Literal["native", "translated", "dropped", "refused"]
"""What a provider does with a field (see the module doc)."""


@dataclass(frozen=True, slots=True)
class Treatment:
    """One cell of the table: the action and, for people, where it goes."""

    action: Action
    note: str = ""

    def cell(self) -> str:
        """The Markdown cell: ``translated: `metadata.user_id` ``, ``dropped``…"""
        return f"{self.action}: {self.note}" if self.note else self.action


N: Action = "native"
T: Action = "translated"
D: Action = "dropped"
R: Action = "refused"
_AUDIO = '`["text"]`: dropped; with `audio`: refused (the gateway relays text only)'
_DROPPED = Treatment(D)

GATEWAY: Mapping[str, str] = {
    "model": "picks the route, task or deployment; upstreams get the deployment's model",
    "max_completion_tokens": "becomes `max_tokens` (the newer name wins when both are set)",
    "stream": "how the gateway answers; upstreams are always streamed",
    "stream_options": "`include_usage` is honoured by the gateway",
    "n": "only 1 (else 400)",
    "logprobs": "`true` is refused (400)",
    "top_logprobs": "ignored (logprobs are refused)",
    "metadata": "router hints (`task`); not forwarded",
}
"""Fields the gateway itself handles, the same for every provider."""

OPENAI: Mapping[str, Treatment] = {
    "messages": Treatment(N),
    "max_tokens": Treatment(N),
    "temperature": Treatment(N),
    "top_p": Treatment(N),
    "stop": Treatment(N),
    "tools": Treatment(N),
    "tool_choice": Treatment(N),
    "parallel_tool_calls": Treatment(N),
    "response_format": Treatment(N),
    "seed": Treatment(N),
    "user": Treatment(N),
    "presence_penalty": Treatment(N),
    "frequency_penalty": Treatment(N),
    "logit_bias": Treatment(N),
    "reasoning_effort": Treatment(N),
    "service_tier": Treatment(N),
    "store": Treatment(N),
    "prediction": Treatment(N),
    "modalities": Treatment(N, "with `audio`: refused (the gateway relays text only)"),
    "verbosity": Treatment(N),
    "prompt_cache_key": Treatment(N),
    "safety_identifier": Treatment(N),
}
"""OpenAI, Azure OpenAI, OpenRouter and OpenAI-compatible servers (``openai.py``)."""

ANTHROPIC: Mapping[str, Treatment] = {
    "messages": Treatment(T, "system → `system`; images, tool calls and results → blocks"),
    "max_tokens": Treatment(T, "`max_tokens` (required: `max_tokens_default` when unset)"),
    "temperature": Treatment(T, "`temperature`, clamped to 0-1"),
    "top_p": Treatment(N),
    "stop": Treatment(T, "`stop_sequences`"),
    "tools": Treatment(T, "`tools` with `input_schema`"),
    "tool_choice": Treatment(T, "`auto`, `any` (required), `tool`, `none`"),
    "parallel_tool_calls": Treatment(T, "`false` → `tool_choice.disable_parallel_tool_use`"),
    "response_format": Treatment(
        T,
        "`json_schema`/`json_object` → a forced tool with that schema whose input "
        "streams as the answer's text; `text`: dropped",
    ),
    "seed": _DROPPED,
    "user": Treatment(T, "`metadata.user_id`"),
    "presence_penalty": _DROPPED,
    "frequency_penalty": _DROPPED,
    "logit_bias": Treatment(R, "token ids are OpenAI's"),
    "reasoning_effort": Treatment(
        T,
        "`thinking.budget_tokens` (low 1024, medium 8192, high 24576; none, minimal: off; "
        "off after a tool call without its signed thinking)",
    ),
    "service_tier": Treatment(T, "`auto` → `auto`, `default` → `standard_only`; others dropped"),
    "store": _DROPPED,
    "prediction": _DROPPED,
    "modalities": Treatment(T, _AUDIO),
    "verbosity": _DROPPED,
    "prompt_cache_key": _DROPPED,
    "safety_identifier": Treatment(T, "`metadata.user_id` (when `user` is not set)"),
}
"""Anthropic Messages (``_anthropic_request.py``, ``_anthropic_options.py``)."""

GEMINI: Mapping[str, Treatment] = {
    "messages": Treatment(
        T,
        "system → `systemInstruction`; `contents` with `parts`; for Gemini 3 and later a "
        "turn's first `functionCall` gets `thoughtSignature` "
        "`skip_thought_signature_validator` (they refuse unsigned calls)",
    ),
    "max_tokens": Treatment(T, "`generationConfig.maxOutputTokens`"),
    "temperature": Treatment(T, "`generationConfig.temperature`"),
    "top_p": Treatment(T, "`generationConfig.topP`"),
    "stop": Treatment(T, "`generationConfig.stopSequences`"),
    "tools": Treatment(T, "`tools[].functionDeclarations` (`parametersJsonSchema`)"),
    "tool_choice": Treatment(T, "`toolConfig.functionCallingConfig`"),
    "parallel_tool_calls": _DROPPED,
    "response_format": Treatment(
        T,
        "`generationConfig.responseMimeType` `application/json` (+ `responseJsonSchema` "
        "for `json_schema`); `text`: dropped",
    ),
    "seed": Treatment(T, "`generationConfig.seed`"),
    "user": _DROPPED,
    "presence_penalty": Treatment(T, "`generationConfig.presencePenalty`"),
    "frequency_penalty": Treatment(T, "`generationConfig.frequencyPenalty`"),
    "logit_bias": Treatment(R, "token ids are OpenAI's"),
    "reasoning_effort": Treatment(
        T,
        "`generationConfig.thinkingConfig.thinkingBudget` (none 0, minimal 512, low 1024, "
        "medium 8192, high 24576)",
    ),
    "service_tier": _DROPPED,
    "store": _DROPPED,
    "prediction": _DROPPED,
    "modalities": Treatment(T, _AUDIO),
    "verbosity": _DROPPED,
    "prompt_cache_key": _DROPPED,
    "safety_identifier": _DROPPED,
}
"""Gemini ``generateContent`` (``_gemini_request.py``)."""

OLLAMA: Mapping[str, Treatment] = {
    "messages": Treatment(T, "text `content`, base64 `images`, object tool arguments"),
    "max_tokens": Treatment(T, "`options.num_predict`"),
    "temperature": Treatment(T, "`options.temperature`"),
    "top_p": Treatment(T, "`options.top_p`"),
    "stop": Treatment(T, "`options.stop`"),
    "tools": Treatment(N),
    "tool_choice": Treatment(
        T, "`none` → no `tools`; `auto`: dropped; `required` or a named function: refused"
    ),
    "parallel_tool_calls": _DROPPED,
    "response_format": Treatment(T, '`format`: `"json"` or the JSON schema; `text`: dropped'),
    "seed": Treatment(T, "`options.seed`"),
    "user": _DROPPED,
    "presence_penalty": Treatment(T, "`options.presence_penalty`"),
    "frequency_penalty": Treatment(T, "`options.frequency_penalty`"),
    "logit_bias": Treatment(R, "token ids are OpenAI's"),
    "reasoning_effort": Treatment(T, "`think` (none, minimal: `false`; others: `true`)"),
    "service_tier": _DROPPED,
    "store": _DROPPED,
    "prediction": _DROPPED,
    "modalities": Treatment(T, _AUDIO),
    "verbosity": _DROPPED,
    "prompt_cache_key": _DROPPED,
    "safety_identifier": _DROPPED,
}
"""Ollama's native ``/api/chat`` (``ollama.py``)."""

TABLES: Mapping[str, Mapping[str, Treatment]] = {
    "OpenAI, Azure, OpenRouter, compatible": OPENAI,
    "Anthropic": ANTHROPIC,
    "Gemini": GEMINI,
    "Ollama": OLLAMA,
}
"""Every provider's table, by the column title the README uses."""


def render() -> str:
    """The README's translation tables (Markdown): gateway fields, then per provider."""
    lines = ["| field | the gateway |", "|---|---|"]
    lines += [f"| `{name}` | {what} |" for name, what in GATEWAY.items()]
    lines += ["", "| field | " + " | ".join(TABLES) + " |", "|---" * (len(TABLES) + 1) + "|"]
    for name in OPENAI:
        cells = " | ".join(table[name].cell() for table in TABLES.values())
        lines.append(f"| `{name}` | {cells} |")
    return "\n".join(lines) + "\n"
