"""The LiteLLM side of ``bench provider``: the same streaming call through ``litellm.acompletion``.

LiteLLM is imported lazily, and only after ``LITELLM_LOCAL_MODEL_COST_MAP=True`` is set, so it
reads its bundled price map instead of fetching one from the internet (there is none here).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from providers.base import Message


def litellm_streamer(
    base_url: str,
    *,
    api_key: str,
    model: str,
    messages: Sequence[Message],
    max_tokens: int,
    temperature: float,
) -> Callable[[], Awaitable[int]]:
    """A call that streams one answer through LiteLLM's SDK; it returns the text pieces read."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    payload: list[dict[str, Any]] = [{"role": m.role, "content": m.content} for m in messages]

    async def call() -> int:
        stream = await litellm.acompletion(
            model=f"openai/{model}",
            api_base=base_url,
            api_key=api_key,
            messages=payload,
            max_tokens=max_tokens,
            temperature=temperature,
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces = 0
        async for event in stream:
            for choice in event.choices:
                if choice.delta.content:
                    pieces += 1
        return pieces

    return call
