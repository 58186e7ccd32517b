"""Task detection on the shapes of real traffic: the instruction found inside pasted
material, system prompts that set the task, follow-ups that refer back, requests
without a trigger verb, and six languages besides English.

The phrasings are written for these tests (not taken from the held-out set).
"""

from __future__ import annotations

import pytest

from llm_router.tasks import TaskDetector, detect_task
from llm_router.tasks._instruction import instruction
from llm_router.types import ChatRequest

NOTICE = (
    "From next Monday the north car park will be closed for resurfacing. Staff should "
    "use the visitor car park on Elm Road, where 60 spaces are reserved for us. The "
    "works are expected to take three weeks and will cost about 95,000 euros; a review "
    "of parking permits will follow in the autumn.\n"
)
TRACE = (
    "Traceback (most recent call last):\n"
    '  File "sync.py", line 40, in <module>\n'
    "    rows = fetch(cursor)\n"
    "TypeError: fetch() missing 1 required positional argument: 'limit'"
)


def chat(*messages: tuple[str, str]) -> ChatRequest:
    """A request from ``(role, content)`` pairs."""
    return ChatRequest(messages=[{"role": role, "content": text} for role, text in messages])


CASES = [
    # The instruction sits after the material; the material's words do not decide.
    ("summarization", chat(("user", NOTICE + "\nCan you give me the gist?"))),
    ("extraction", chat(("user", NOTICE + "\nDates, places and amounts only, as a table."))),
    ("chat", chat(("user", NOTICE + "\nIs the visitor car park free for staff?"))),
    (
        "reasoning",
        chat(
            (
                "user",
                NOTICE + "\nIf 60 spaces are reserved and 250 staff drive, "
                "how many are left without a space?",
            )
        ),
    ),
    ("code", chat(("user", "Was heißt das hier?\n\n" + TRACE))),
    # A system prompt sets the task; the user turn only pastes material or a topic.
    ("summarization", chat(("system", "Condense every notice into one line."), ("user", NOTICE))),
    (
        "translation",
        chat(("system", "Render each message in Brazilian Portuguese."), ("user", NOTICE)),
    ),
    (
        "creative",
        chat(
            ("system", "You write limericks about whatever topic you are given."),
            ("user", "the office coffee machine"),
        ),
    ),
    (
        "chat",
        chat(
            ("system", "Translate everything into German."),
            ("user", "Quick question first: can you also handle Dutch?"),
        ),
    ),
    # Follow-ups resolve "it", "shorter", "in German too" from the turn before.
    (
        "translation",
        chat(
            ("user", "Put 'mind the gap' into French."),
            ("assistant", "Attention à la marche."),
            ("user", "and in German?"),
        ),
    ),
    (
        "summarization",
        chat(
            ("user", "Summarize this:\n" + NOTICE),
            ("assistant", "The north car park closes for three weeks."),
            ("user", "even shorter"),
        ),
    ),
    (
        "reasoning",
        chat(
            ("user", "A coat costs 120 after a 25% discount. Original price?"),
            ("assistant", "160."),
            ("user", "what if the discount were 40%?"),
        ),
    ),
    (
        "chat",
        chat(
            ("user", "Write a haiku about fog."),
            ("assistant", "Grey breath on the bay..."),
            ("user", "Lovely. Do you know where haiku come from?"),
        ),
    ),
    # No trigger verb: the form or the target names the task.
    ("translation", chat(("user", "Italian please: 'The lift is out of order.'"))),
    ("creative", chat(("user", "five taglines for a night bus service"))),
    ("code", chat(("user", "awk one-liner to print the second column of a tsv"))),
    ("reasoning", chat(("user", "4 notebooks at 2.35 and 3 pens at 0.90 → total?"))),
    # Spanish, German, French, Italian, Portuguese, Japanese.
    ("summarization", chat(("user", "Hazme un resumen corto de esto:\n" + NOTICE))),
    ("extraction", chat(("user", "Ist diese Bewertung positiv oder negativ? 'Kam kaputt an.'"))),
    ("creative", chat(("user", "Écris un petit poème sur le brouillard du matin."))),
    ("translation", chat(("user", "Come si dice 'buon appetito' in giapponese?"))),
    ("reasoning", chat(("user", "Se um livro custa 45 reais com 10% de desconto, quanto pago?"))),
    ("code", chat(("user", "Pythonで辞書を値でソートするコードを書いてください"))),
    ("chat", chat(("user", "¿Por qué se caen las hojas en otoño?"))),
]


@pytest.mark.parametrize(("expected", "request_"), CASES)
def test_shapes(expected: str, request_: ChatRequest) -> None:
    """Each request gets the label of what its instruction asks to produce."""
    assert detect_task(request_).task == expected


def test_explain_signals_say_where_the_vote_came_from() -> None:
    """Signals name the rules that fired, the system prompt's and the context's labels."""
    system = detect_task(CASES[5][1])
    assert "system:summarization" in system.signals
    follow = detect_task(CASES[9][1])
    assert "context:translation" in follow.signals
    learned = detect_task(
        chat(("user", "rooftop bar, open till 2am, live jazz on fridays")),
    )
    assert all(":" in signal for signal in learned.signals)


def test_learned_component_names_its_label() -> None:
    """When no rule fires, the learned component votes and says so (``model:<label>``)."""
    detection = TaskDetector()(chat(("user", "portuguese menu translation for the cafe")))
    assert detection.task == "translation"
    assert detection.signals == ("model:translation",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Translate this: hello", "Translate this: hello", id="short-whole"),
        pytest.param("Summarize: " + NOTICE * 2, "Summarize:", id="head-colon"),
        pytest.param(NOTICE * 2 + "\nWhat's the upshot?", "What's the upshot?", id="tail-ask"),
        pytest.param(NOTICE * 2 + "\nbullets please", "bullets please", id="terse-tail"),
        pytest.param(
            "Fix this:\n```python\n" + "x = 1\n" * 80 + "```", "Fix this:", id="fence-dropped"
        ),
    ],
)
def test_instruction_is_found_around_the_material(text: str, expected: str) -> None:
    """The instruction zone is the asking line, not the pasted text."""
    assert instruction(text) == expected
