"""Wrap the clients you already have: an AsyncOpenAI, an AsyncAnthropic, your own function.

Runs offline: two loopback upstreams (llm_router.testing) stand in for OpenAI and
Anthropic, so the real SDKs talk HTTP to them. With the real services, build the
clients as usual (``AsyncOpenAI()``, ``AsyncAnthropic()``) and drop the base URLs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from anthropic import AsyncAnthropic
from openai import AsyncOpenAI

import llm_router
from llm_router import ChatRequest, build_router, complete, errors
from llm_router.providers import AnthropicClientProvider, OpenAIClientProvider
from llm_router.testing import LoopbackUpstream, Reply


@llm_router.provider(name="local", errors={TimeoutError: errors.FirstTokenTimeout})
async def local(request: ChatRequest) -> AsyncIterator[str]:
    """Any async generator is a provider: here, a canned local answer."""
    for word in ["A ", "local ", "answer."]:
        yield word


async def main() -> None:
    async with LoopbackUpstream("openai") as oa, LoopbackUpstream("anthropic") as an:
        oa.script(Reply.error(503, "overloaded"))  # OpenAI is down…
        an.script(Reply(text="Claude answers instead.", model="claude-sonnet-4-5"))
        openai_client = AsyncOpenAI(base_url=oa.base_url, api_key="sk-test")
        anthropic_client = AsyncAnthropic(base_url=an.base_url, api_key="sk-ant-test")
        gpt = OpenAIClientProvider(openai_client, model="gpt-4o-mini", name="gpt")
        claude = AnthropicClientProvider(anthropic_client, model="claude-sonnet-4-5", name="claude")
        question = ChatRequest(messages=[{"role": "user", "content": "Who answers?"}])

        async with build_router({"default": [gpt, claude, local]}) as router:
            answer = await complete(router, question)
            usage = answer.usage
            assert usage is not None
            tokens = f"{usage.input_tokens} in, {usage.output_tokens} out"
            print(f"{answer.provider}: {answer.text} ({tokens})")
        print(f"openai was asked {oa.calls} times: 2 attempts of the retry layer, no SDK retries")

        async with llm_router.resilient(local) as alone:  # retry + breaker + rescue, no routing
            print(f"{(await complete(alone, question)).text}")
        await openai_client.close()
        await anthropic_client.close()


if __name__ == "__main__":
    asyncio.run(main())
