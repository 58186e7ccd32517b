"""Library quickstart: a route with a failing primary and a healthy fallback.

Runs offline (scripted providers). Swap in OpenAIProvider / AnthropicProvider /
GeminiProvider / OllamaProvider for real upstreams: the code stays the same.
"""

import asyncio

from prometheus_client import CollectorRegistry

from llm_router import ChatRequest, Metrics, build_router, complete, errors
from llm_router.config import RescueConfig
from llm_router.providers import Fault, Script, ScriptedProvider


async def main() -> None:
    primary = ScriptedProvider(
        name="primary", scripts=[Script(fault=Fault("server_error", message="503 from upstream"))]
    )
    fallback = ScriptedProvider(name="fallback", scripts=[Script(text="Hello from the fallback!")])
    registry = CollectorRegistry()
    router = build_router(
        {"default": [primary, fallback]},
        hook=Metrics(registry, providers=["primary", "fallback"]),
    )
    request = ChatRequest(messages=[{"role": "user", "content": "Say hello"}])

    # Streaming: chunks arrive as the upstream sends them; the failover happened
    # before the first one, so the caller never sees the primary's failure.
    async for chunk in router.stream_complete(request):
        print(chunk.text, end="", flush=True)
    print()

    # Non-streaming: the same stream, accumulated.
    answer = await complete(router, request)
    print(f"{answer.provider}: {answer.text!r} finish={answer.finish_reason} usage={answer.usage}")

    fallbacks = registry.get_sample_value(
        "llm_router_fallbacks_total",
        {
            "task": "chat",
            "from_provider": "primary",
            "to_provider": "fallback",
            "reason": "server_error",
        },
    )
    print(f"fallbacks recorded: {fallbacks}")

    # A stream cut after its first words is rescued: the router replays it, checks that
    # the replay reproduces what the caller already has, and passes on only the rest.
    cut_once = ScriptedProvider(
        name="cut",
        scripts=[
            Script(text="one two three four", fault=Fault("server_error", 2)),
            Script(text="one two three four"),
        ],
    )
    async with build_router({"default": [cut_once]}) as rescuing:
        pieces = [chunk.text async for chunk in rescuing.stream_complete(request)]
    print(f"rescued: {''.join(pieces)!r}")

    # With rescue off (or when no rescue works), a failure after the first chunk is
    # never hidden: StreamInterrupted carries the partial answer.
    cut = ScriptedProvider(
        name="cut", scripts=[Script(text="one two three four", fault=Fault("server_error", 2))]
    )
    try:
        async with build_router({"default": [cut]}, rescue=RescueConfig.off()) as plain:
            async for _ in plain.stream_complete(request):
                pass
    except errors.StreamInterrupted as exc:
        print(f"interrupted: partial={exc.partial.text!r} cause={type(exc.cause).__name__}")
    await router.aclose()


if __name__ == "__main__":
    asyncio.run(main())
