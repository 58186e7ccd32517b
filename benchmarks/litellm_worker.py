"""Runs inside the benchmark's own LiteLLM virtualenv (never a project dependency).

Reads one JSON command per stdin line — ``{"url": base_url, "n": streams}`` — reads
``n`` streams sequentially through ``litellm.Router(...).acompletion(stream=True)`` and
prints ``{"seconds": elapsed, "chunks": total_text_chunks}`` per line.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

os.environ.setdefault("LITELLM_LOG", "ERROR")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


async def _run(router: object, n: int) -> tuple[float, int]:
    chunks = 0
    start = time.perf_counter()
    for _ in range(n):
        resp = await router.acompletion(  # type: ignore[attr-defined]
            model="bench",
            messages=[{"role": "user", "content": "Stream a long answer, please."}],
            stream=True,
        )
        async for part in resp:
            if part.choices and part.choices[0].delta.content:
                chunks += 1
    return time.perf_counter() - start, chunks


def main() -> None:
    """Serve commands until stdin closes."""
    import litellm

    litellm.telemetry = False
    routers: dict[str, object] = {}
    loop = asyncio.new_event_loop()
    from importlib.metadata import version  # litellm has no __version__

    print(json.dumps({"ready": True, "version": version("litellm")}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        url = cmd["url"]
        if url not in routers:
            routers[url] = litellm.Router(
                model_list=[
                    {
                        "model_name": "bench",
                        "litellm_params": {
                            "model": "openai/bench-model",
                            "api_base": url,
                            "api_key": "sk-bench",
                        },
                    }
                ],
                num_retries=0,
            )
        seconds, chunks = loop.run_until_complete(_run(routers[url], int(cmd["n"])))
        print(json.dumps({"seconds": seconds, "chunks": chunks}), flush=True)


if __name__ == "__main__":
    main()
