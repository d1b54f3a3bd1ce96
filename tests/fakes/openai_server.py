"""The fake OpenAI server for tests: re-exported from ``app.bench.fake_openai_server``."""

from app.bench.fake_openai_server import (
    Behaviour,
    Fail,
    FakeOpenAI,
    Malformed,
    Reply,
    Truncate,
    run_fake_openai,
)

__all__ = ["Behaviour", "Fail", "FakeOpenAI", "Malformed", "Reply", "Truncate", "run_fake_openai"]
