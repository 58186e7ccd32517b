"""The README's special cases, applied after the weighted vote.

Weights alone cannot express "code wins when a programming language is the source
or target" without making code win everywhere, so these few precedence rules run on
the vote's winner: ``(losers, winner, needs, unless)`` — if the vote picked one of
``losers``, any signal in ``needs`` fired, none in ``unless`` did, and ``winner`` has
at least the minimum score, ``winner`` takes over. The first matching row applies.
"""

from __future__ import annotations

from llm_router.tasks.model import TextTask

Override = tuple[frozenset[TextTask], TextTask, frozenset[str], frozenset[str]]
"""``(losers, winner, needs, unless)``."""

OVERRIDES: tuple[Override, ...] = (
    # Translating the comments or UI strings of some code is translation, however much
    # code is pasted along with it.
    (
        frozenset({"code"}),
        "translation",
        frozenset({"translation:localise"}),
        frozenset(),
    ),
    # "translate this Python to Rust", "summarize what this SQL does", a stack trace
    # to explain: the source or target is code. Translating the comments is not.
    (
        frozenset({"translation", "summarization", "extraction", "creative"}),
        "code",
        frozenset(
            {
                "code:convert_code",
                "code:this_code",
                "code:stack_trace",
                "code:def",
                "code:function_decl",
                "code:sql",
            }
        ),
        frozenset({"translation:localise"}),
    ),
    # A question about pasted code or error output ("what does this error mean?",
    # "¿qué devuelve esta consulta?") is about specific code.
    (
        frozenset({"chat"}),
        "code",
        frozenset(
            {"code:stack_trace", "code:def", "code:function_decl", "code:sql", "code:class_decl"}
        ),
        frozenset(),
    ),
    # Asking for a program that computes something is code, not reasoning.
    (
        frozenset({"reasoning"}),
        "code",
        frozenset({"code:write_code", "code:convert_code", "code:assignment", "code:io_spec"}),
        frozenset(),
    ),
    # Computation wins over extraction: the answer is not literally in the text.
    (
        frozenset({"extraction"}),
        "reasoning",
        frozenset({"reasoning:solve", "reasoning:compute"}),
        frozenset(),
    ),
    # A requested literary form wins over the topic and over summarization.
    (
        frozenset({"summarization", "extraction", "chat"}),
        "creative",
        frozenset({"creative:literary_form"}),
        frozenset(),
    ),
)
