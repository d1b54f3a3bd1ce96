"""Per-user rate limits: in memory and on a real Redis shared by two limiters (two processes)."""

from __future__ import annotations

import uuid

import pytest
import redis

from app.rate_limits import RateDecision, UserRateLimiter, build_rate_limiter
from tests.redis_fixtures import REDIS_URL


def test_a_user_gets_their_allowance_then_a_wait_and_others_are_not_affected() -> None:
    limiter = build_rate_limiter(3, None)
    assert [limiter.hit("user:1").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.hit("user:1")
    assert not refused.allowed
    assert 1 <= refused.retry_after_s <= 60
    assert f"wait {refused.retry_after_s} seconds" in refused.message
    assert limiter.hit("user:2").allowed
    limiter.reset()
    assert limiter.hit("user:1").allowed


def test_the_message_reads_well_for_one_second() -> None:
    assert "wait 1 second and" in RateDecision(False, 1).message
    assert RateDecision(True).message == ""


def test_limits_below_one_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        UserRateLimiter(0)


def test_redis_limits_are_shared_by_every_process(redis_client: redis.Redis) -> None:
    prefix = f"deskpilot-test-rl-{uuid.uuid4().hex}"
    first = UserRateLimiter(2, REDIS_URL, key_prefix=prefix)
    second = UserRateLimiter(2, REDIS_URL, key_prefix=prefix)
    try:
        assert first.hit("user:9").allowed
        assert second.hit("user:9").allowed
        refused = first.hit("user:9")
        assert not refused.allowed and 1 <= refused.retry_after_s <= 60
        assert any(redis_client.scan_iter(match=prefix + "*"))
    finally:
        first.reset()
    assert not any(redis_client.scan_iter(match=prefix + "*"))
