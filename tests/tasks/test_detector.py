"""Task detector: order of decisions, configuration, and labels on our own phrasings.

The phrasings below are deliberately unlike the dev set (other wordings, languages,
system prompts, several turns, pasted documents): they guard against rules that only
fit the dev set's templates.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest

from llm_router.errors import ConfigurationError
from llm_router.tasks import (
    Detection,
    DetectorConfig,
    Rule,
    TaskDetector,
    _gate,
    _index,
    _needles,
    default_rules,
    detect_task,
)
from llm_router.tasks.model import TEXT_TASKS
from llm_router.types import TASK_NAMES, ChatRequest

ARTICLE = (
    "The city council voted on Tuesday to extend the tram line to the northern suburbs. "
    "Supporters said the extension would cut car traffic and connect two hospitals; "
    "opponents pointed to the cost, estimated at 240 million euros, and to two years of "
    "road works. A public consultation will open in March and close in June.\n"
) * 3


def ask(text: str, system: str | None = None) -> ChatRequest:
    """A one-turn request, optionally with a system prompt."""
    messages = [] if system is None else [{"role": "system", "content": system}]
    return ChatRequest(messages=[*messages, {"role": "user", "content": text}])


def turns(*texts: str) -> ChatRequest:
    """A conversation alternating user and assistant turns, starting with the user."""
    roles = ("user", "assistant")
    return ChatRequest(messages=[{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)])


def test_explicit_task_wins_over_everything() -> None:
    """An explicit known task is returned as is, with score 1 and the 'explicit' signal."""
    request = ChatRequest(
        messages=[{"role": "user", "content": "Write a poem"}], task="code", tools=[{"x": 1}]
    )
    assert detect_task(request) == Detection("code", 1.0, ("explicit",))


def test_metadata_task_is_explicit() -> None:
    """``metadata["task"]`` counts as an explicit task."""
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}], metadata={"task": "vision"})
    assert detect_task(request).task == "vision"


def test_unknown_explicit_task_is_ignored() -> None:
    """An unknown task name in metadata is never returned; detection proceeds and notes
    it (``ChatRequest(task="poetry")`` itself is refused: tests/test_first_hour.py)."""
    request = ChatRequest(
        messages=[{"role": "user", "content": "Write a haiku"}], metadata={"task": "poetry"}
    )
    detection = detect_task(request)
    assert detection.task == "creative"
    assert detection.signals[0] == "explicit_unknown"


def test_tools_mean_tool_use() -> None:
    """A request carrying tools is tool_use."""
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    request = ChatRequest(messages=[{"role": "user", "content": "Weather?"}], tools=[tool])
    assert detect_task(request) == Detection("tool_use", 1.0, ("tools",))


def test_image_part_means_vision() -> None:
    """An image part in any message makes the request vision."""
    parts = [
        {"type": "text", "text": "Summarize this chart"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    request = ChatRequest(messages=[{"role": "user", "content": parts}])
    assert detect_task(request).task == "vision"


def test_long_prompt_means_long_context() -> None:
    """Estimated tokens (chars / 4) over the threshold make the request long_context."""
    config = DetectorConfig(long_context_tokens=100)
    detection = detect_task(ask("Summarize: " + "word " * 100), config)
    assert detection == Detection("long_context", 1.0, ("tokens>100",))
    assert detect_task(ask("Summarize: " + "word " * 10), config).task == "summarization"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Write a Python function that checks whether a string is a palindrome.", id="en-write"
        ),
        pytest.param(
            'Why does this crash?\n\nTraceback (most recent call last):\n  File "app.py", line 3\n'
            "KeyError: 'id'",
            id="traceback",
        ),
        pytest.param("How do I undo my last git commit but keep the changes?", id="git"),
        pytest.param(
            "Translate this Python to Rust:\n```python\ndef add(a, b):\n    return a + b\n```",
            id="python-to-rust",
        ),
        pytest.param(
            "Summarize what this SQL does: SELECT name, COUNT(*) FROM orders GROUP BY name;",
            id="sql",
        ),
        pytest.param('Convert this JSON to YAML: {"a": 1, "b": [1, 2]}', id="json-yaml"),
        pytest.param("Write a regex that matches UK postcodes.", id="regex"),
        pytest.param("Escribe una función en JavaScript que invierta una cadena.", id="es"),
        pytest.param("Schreibe ein Bash-Skript, das alle .log Dateien löscht.", id="de"),
        pytest.param("用Python写一个函数，计算列表的平均值。", id="zh"),  # noqa: RUF001 - full-width punctuation on purpose
        pytest.param("Write a program that prints the sum of 3, 5 and 8.", id="program-computes"),
        pytest.param(
            "My Dockerfile fails with 'COPY failed: no source files were specified'. Why?",
            id="error-output",
        ),
        pytest.param(
            "Can you review this function for bugs?\n\nfunction add(a, b) { return a - b; }",
            id="review-js",
        ),
        pytest.param("Écris une fonction Python qui trie une liste de dictionnaires.", id="fr"),
        pytest.param("What does `git rebase -i HEAD~3` do?", id="git-explain"),
    ],
)
def test_code(text: str) -> None:
    """Requests for or about code are code, whatever the language or other cues."""
    assert detect_task(ask(text)).task == "code"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "If I flip three fair coins, what is the probability of exactly two heads?", id="prob"
        ),
        pytest.param("Prove that the square root of 2 is irrational.", id="proof"),
        pytest.param(
            "Tom has 12 apples and gives a third of them to Sara. How many does he keep?",
            id="words",
        ),
        pytest.param("Solve for x: 3x + 7 = 22", id="solve"),
        pytest.param(
            "Si un coche recorre 150 km en 2 horas, ¿cuántos km recorre en 5 horas?", id="es"
        ),
        pytest.param("Combien de minutes y a-t-il dans 3 jours et 4 heures ?", id="fr"),
        pytest.param("Wie viele Sekunden hat ein Tag?", id="de"),
        pytest.param("What is 17% of 240?", id="percent"),
        pytest.param("Estimate how many piano tuners there are in Chicago.", id="estimate"),
        pytest.param(
            "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. "
            "How much does the ball cost?",
            id="bat-ball",
        ),
        pytest.param(
            "Here are last week's sales: Mon 120, Tue 80, Wed 95. Extract the figures and "
            "calculate the average per day.",
            id="compute-beats-extract",
        ),
    ],
)
def test_reasoning(text: str) -> None:
    """Calculations, proofs and word problems are reasoning."""
    assert detect_task(ask(text)).task == "reasoning"


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(ask("Summarize this in two sentences:\n\n" + ARTICLE), id="en"),
        pytest.param(ask(ARTICLE + "\nTL;DR"), id="tldr-end"),
        pytest.param(
            ask("Give me the key points of these meeting notes:\n" + ARTICLE), id="points"
        ),
        pytest.param(ask("Resume el siguiente texto en tres frases:\n" + ARTICLE), id="es"),
        pytest.param(ask("Fasse den folgenden Artikel kurz zusammen:\n" + ARTICLE), id="de"),
        pytest.param(ask("请总结下面这段文字：\n" + ARTICLE), id="zh"),  # noqa: RUF001 - full-width punctuation on purpose
        pytest.param(ask("Résume cet article en une phrase :\n" + ARTICLE), id="fr"),
        pytest.param(ask(ARTICLE + "\n\nWhat's the gist?"), id="gist-end"),
        pytest.param(
            ask(ARTICLE, system="Summarize whatever text the user sends in three bullet points."),
            id="system-prompt",
        ),
        pytest.param(
            turns(
                "Summarize this article:\n" + ARTICLE, "The council extended...", "Make it shorter."
            ),
            id="follow-up",
        ),
    ],
)
def test_summarization(request_: ChatRequest) -> None:
    """Condensing a given text is summarization, in any language or turn shape."""
    assert detect_task(request_).task == "summarization"


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(ask("How do you say 'good morning' in Japanese?"), id="how-say"),
        pytest.param(ask("Translate to French: the meeting is postponed until Monday."), id="en"),
        pytest.param(ask("Traduce al inglés: me gustaría reservar una mesa para dos."), id="es"),
        pytest.param(ask("Übersetze bitte ins Englische: Wo ist der Bahnhof?"), id="de"),
        pytest.param(ask("请把这句话翻译成英文：我明天去上海。"), id="zh"),  # noqa: RUF001 - full-width punctuation on purpose
        pytest.param(ask("Traduis en espagnol : je voudrais un café."), id="fr"),
        pytest.param(
            ask(
                "Translate the comments in this code to English and leave the code unchanged:\n"
                "```python\n# 计算总和\ndef total(xs):\n    return sum(xs)\n```"
            ),
            id="code-comments",
        ),
        pytest.param(ask("Translate this poem into Italian:\nThe sea is calm tonight."), id="poem"),
        pytest.param(
            turns(
                "Translate 'thank you very much' into Spanish.",
                "Muchas gracias.",
                "Now Portuguese too.",
            ),
            id="follow-up",
        ),
        pytest.param(
            ask(
                "The weather is lovely today.",
                system="You are a translator. Translate every message into German.",
            ),
            id="system-prompt",
        ),
    ],
)
def test_translation(request_: ChatRequest) -> None:
    """Converting given natural-language text to another language is translation."""
    assert detect_task(request_).task == "translation"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Extract all dates and amounts from this invoice as JSON:\n" + ARTICLE, id="json"
        ),
        pytest.param(
            "Classify the sentiment of this tweet as positive, negative or neutral: "
            "'Worst delivery ever.'",
            id="sentiment",
        ),
        pytest.param(
            "List every person and organisation mentioned in the text below.\n" + ARTICLE, id="ner"
        ),
        pytest.param("Is this email spam? 'You won a free cruise! Click now.'", id="spam"),
        pytest.param(
            "What is the sentiment of this review: 'The battery died in two days.'", id="review"
        ),
        pytest.param(
            "Extrae los nombres y las fechas del siguiente texto en formato JSON:\n" + ARTICLE,
            id="es",
        ),
        pytest.param(
            "Which category does this support ticket belong to: billing, technical or account? "
            "'I was charged twice this month.'",
            id="category",
        ),
    ],
)
def test_extraction(text: str) -> None:
    """Pulling literal facts into a structure, or labelling given text, is extraction."""
    assert detect_task(ask(text)).task == "extraction"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Write a haiku about autumn rain.", id="haiku"),
        pytest.param("Give me five name ideas for a coffee shop run by cats.", id="names"),
        pytest.param(
            "Write a short story about a lighthouse keeper who finds a message.", id="story"
        ),
        pytest.param(
            "Write a haiku summarizing this article:\n" + ARTICLE, id="form-beats-summary"
        ),
        pytest.param("Escribe un poema sobre el mar.", id="es"),
        pytest.param("Écris une courte histoire pour enfants sur un dragon timide.", id="fr"),
        pytest.param("写一首关于春天的诗。", id="zh"),
        pytest.param("Come up with a catchy slogan for an electric bike brand.", id="slogan"),
        pytest.param("Write a toast for my sister's wedding.", id="toast"),
        pytest.param("Draft a product description for noise-cancelling headphones.", id="copy"),
        pytest.param("Schreibe ein Gedicht über den Herbst.", id="de"),
        pytest.param("Tell me a joke about penguins.", id="joke"),
        pytest.param("A limerick about recursion, please.", id="form-beats-topic"),
    ],
)
def test_creative(text: str) -> None:
    """Composing new imaginative or persuasive text is creative."""
    assert detect_task(ask(text)).task == "creative"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("What is the capital of Australia?", id="fact"),
        pytest.param("Should I learn Python or JavaScript first?", id="career"),
        pytest.param("What does 'Schadenfreude' mean?", id="word-meaning"),
        pytest.param(
            "According to the notice below, will fares go up?\n\n" + ARTICLE, id="closed-qa"
        ),
        pytest.param("Quelle est la différence entre un crocodile et un alligator ?", id="fr"),
        pytest.param("Hi! How are you today?", id="small-talk"),
        pytest.param("Explain how vaccines train the immune system.", id="explain"),
        pytest.param("¿Por qué el cielo es azul?", id="es"),
        pytest.param("为什么天空是蓝色的？", id="zh"),  # noqa: RUF001 - full-width punctuation on purpose
        pytest.param("What's the best way to fall asleep faster?", id="advice"),
        pytest.param(
            "My car fails with a strange noise when braking. What could it be?", id="not-code"
        ),
    ],
)
def test_chat(text: str) -> None:
    """Questions, explanations, advice and small talk are chat."""
    assert detect_task(ask(text)).task == "chat"


def test_signals_name_the_rules_that_fired() -> None:
    """Signals say which rules voted, e.g. 'summarization:tl;dr'."""
    detection = detect_task(ask(ARTICLE + "\nTL;DR:"))
    assert detection.task == "summarization"
    assert "summarization:tl;dr" in detection.signals
    assert 0.0 < detection.score <= 1.0


def test_system_prompt_is_a_weaker_signal() -> None:
    """The user's own instruction outweighs a system prompt that points elsewhere."""
    request = ask("Write a haiku about the sea.", system="You summarize documents.")
    detection = detect_task(request)
    assert detection.task == "creative"
    assert "system:summarization:summarize" in detection.signals


def test_extra_rule_changes_the_outcome() -> None:
    """A policy rule adds its weight: 'terraform' can make a question code."""
    request = ask("What is a good terraform layout for three environments?")
    assert detect_task(request).task == "chat"
    config = DetectorConfig(rules=(Rule("code", r"\bTerraform\b", 3.0),))
    detection = detect_task(request, config)
    assert detection.task == "code"
    assert "code:custom0" in detection.signals


def test_disabled_label_is_never_returned() -> None:
    """A disabled label is skipped for the next best (here the chat default)."""
    config = DetectorConfig(disabled=frozenset({"creative"}))
    assert detect_task(ask("Write a haiku about autumn rain."), config).task == "chat"
    explicit = ChatRequest(messages=[{"role": "user", "content": "hi"}], task="creative")
    detection = detect_task(explicit, config)
    assert detection.task == "chat"
    assert detection.signals[0] == "explicit_disabled"


def test_invalid_regex_is_a_configuration_error() -> None:
    """A rule that does not compile fails at construction with the pattern in the message."""
    with pytest.raises(ConfigurationError, match=r"invalid regex '\(unclosed'"):
        TaskDetector(DetectorConfig(rules=(Rule("code", "(unclosed", 1.0),)))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: Rule("poetry", "x", 1.0), id="unknown-task"),
        pytest.param(lambda: Rule("code", "", 1.0), id="empty-pattern"),
        pytest.param(lambda: Rule("code", "x", float("nan")), id="nan-weight"),
        pytest.param(lambda: DetectorConfig(disabled=frozenset({"poetry"})), id="unknown-disabled"),
        pytest.param(lambda: DetectorConfig(long_context_tokens=0), id="zero-threshold"),
        pytest.param(
            lambda: DetectorConfig(disabled=frozenset(TEXT_TASKS)),
            id="all-text-labels-disabled",
        ),
    ],
)
def test_bad_configuration_is_rejected(make: Callable[[], object]) -> None:
    """Bad rules and settings raise ConfigurationError when built."""
    with pytest.raises(ConfigurationError):
        make()


def test_detection_is_deterministic() -> None:
    """The same request gives the same detection, from any detector instance."""
    request = ask("Extract the names from this text as JSON:\n" + ARTICLE)
    first = detect_task(request)
    assert all(detect_task(request) == first for _ in range(5))
    assert TaskDetector()(request) == first


def test_labels_stay_in_task_names() -> None:
    """Every built-in rule votes for a known label, so metric labels stay bounded."""
    assert {rule.task for rule in default_rules()} <= set(TASK_NAMES)
    assert all(rule.name for rule in default_rules())


def test_detection_is_frozen() -> None:
    """Detection is immutable."""
    detection = detect_task(ask("hello"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(detection, "task", "code")  # noqa: B010 - assigning a frozen field on purpose


@pytest.mark.parametrize(
    "pattern",
    [r"\bsum(?:mary|marize)\b", r"\bcat|\bdog", r"\b(?:a|b)c\b|\bx[yz]"],
)
@pytest.mark.parametrize(
    "text", ["summary", "the summarize cat", "xbc dog", "a c xy", "bcat", "ac!"]
)
def test_boundary_stripping_matches_the_regex(pattern: str, text: str) -> None:
    """Searching without the leading \\b and checking it afterwards equals the original regex."""
    stripped = _needles.strip_leading_boundary(pattern)
    assert stripped is not None
    expected = re.search(pattern, text) is not None
    assert _gate.search(re.compile(stripped), text, boundary=True) is expected


def test_gates_never_change_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skipping rules by their index and gates gives the detections of running every rule."""
    requests = [ask(t) for t in ("Write a haiku", "TL;DR " + ARTICLE, "¿Cuántos km? 5 km + 3 km")]
    detector = TaskDetector()
    gated = [detector(r) for r in requests]
    monkeypatch.setattr(_index, "admitted", lambda index, view: list(range(len(index.gates))))
    assert [detector(r) for r in requests] == gated


_CHOICES = r"\b\w+(?:, [\w ]{1,30}){2,10},? or [\w ]{1,30}\?\s*$"


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (_CHOICES, "red, green, blue or pink?", True),
        (_CHOICES, "red, green, blue and pink?", False),
        (r"\b(?:array|for loop)\b", "for the loop", False),
        (r"\b(?:array|for loop)\b", "a for loop", True),
        (r"(?:a|an)\s+(?:[\w-]+\s+){0,2}?(?:poem|haiku)s?\b", "an old poem", True),
        (r"(?:a|an)\s+(?:[\w-]+\s+){0,2}?(?:poem|haiku)s?\b", "an old song", False),
    ],
)
def test_gates_are_necessary_conditions(pattern: str, text: str, expected: bool) -> None:
    """A gate rejects only texts its regex cannot match, and rejects those it can tell."""
    gate = _gate.derive(pattern, re.MULTILINE)
    assert gate is not None
    assert (re.search(pattern, text, re.MULTILINE) is not None) is expected
    assert _gate.passes(gate, _gate.view(text)) is expected


def test_case_insensitive_gates_keep_to_the_start() -> None:
    """Patterns matched ignoring case get only their start clause, without confirmation."""
    gate = _gate.derive(r"\bfor loop, (?:a|b) or c", re.IGNORECASE)
    assert gate is not None
    assert len(gate.clauses) == 1
    assert all(not literals for literals in gate.clauses[0].confirm.values())
