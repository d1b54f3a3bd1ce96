"""The exact response cache: the same pseudonymised request, prompt version, tier and scope.

A key is the SHA-256 of everything that shapes the answer: the pseudonymised messages (role and
content), the prompt template reference (``name@version``), the model tier, and the customer
scope, which is the customer id when the context held that customer's facts and ``"public"``
otherwise. Values are JSON bytes in a ``KeyValueStore``, so the cache works in-process and over
Redis alike. Only complete answers belong here; ``Cached`` decides what is complete.

Placeholders (``<PERSON_1>``) stay in the cached text: it is restored per conversation, like any
model answer, and the key covers the prompt that defined what each placeholder stands for.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from providers.base import Message
from providers.prompt_parsing import parse_prompt
from providers.state import KeyValueStore

PUBLIC_SCOPE = "public"
KEY_PREFIX = "cache:exact:"
_KEY_VERSION = 1


@dataclass(frozen=True, slots=True)
class CacheKey:
    """The digest of one request, with the prompt reference it was built from."""

    digest: str
    prompt: str

    @classmethod
    def build(cls, messages: Sequence[Message], *, prompt: str, tier: str, scope: str) -> CacheKey:
        """The key of ``messages`` under prompt ``name@version``, ``tier`` and ``scope``."""
        material = {
            "v": _KEY_VERSION,
            "messages": [[m.role, m.content] for m in messages],
            "prompt": prompt,
            "tier": tier,
            "scope": scope,
        }
        canonical = json.dumps(material, ensure_ascii=False, separators=(",", ":"))
        return cls(hashlib.sha256(canonical.encode("utf-8")).hexdigest(), prompt)


def scope_of(messages: Sequence[Message]) -> str | None:
    """The scope the prompt's context implies; None when it holds facts of an unnamed customer."""
    parsed = parse_prompt(messages)
    customer_id = parsed.customer.get("id", "").strip()
    if customer_id:
        return customer_id
    if parsed.customer or parsed.orders or parsed.tickets:
        return None  # private facts without an owner: never share the answer
    return PUBLIC_SCOPE


def key_builder(
    *, prompt: str, tier: str, scope: str | None = None
) -> Callable[[Sequence[Message]], CacheKey | None]:
    """A ``key_for`` scoped by ``scope`` (the caller knows whose facts the prompt holds), or,
    without one, by the customer block of each prompt.

    Once customer ids are pseudonymised, every prompt's customer block says ``<CUSTOMER_ID_1>``:
    only the caller can tell customers apart, so the app always passes the scope.
    """

    def key_for(messages: Sequence[Message]) -> CacheKey | None:
        found = scope if scope is not None else scope_of(messages)
        if found is None:
            return None
        return CacheKey.build(messages, prompt=prompt, tier=tier, scope=found)

    return key_for


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A complete answer as stored: text, who produced it, when (wall time) and with what prompt."""

    text: str
    model: str
    provider: str
    created_at: float
    prompt: str

    def to_bytes(self) -> bytes:
        """JSON bytes for the store."""
        return json.dumps(asdict(self), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> CachedAnswer | None:
        """Parse stored bytes; None when they are not a cached answer (corrupt or old format)."""
        try:
            data = json.loads(raw)
            answer = cls(
                text=str(data["text"]),
                model=str(data["model"]),
                provider=str(data["provider"]),
                created_at=float(data["created_at"]),
                prompt=str(data["prompt"]),
            )
        except (ValueError, TypeError, KeyError):
            return None
        return answer


class ExactCache:
    """Complete answers by ``CacheKey``, kept ``ttl_s`` seconds (plus ``stale_s`` for outages)."""

    def __init__(
        self,
        store: KeyValueStore,
        ttl_s: float = 3600,
        *,
        stale_s: float = 0.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_s <= 0 or stale_s < 0:
            raise ValueError("ttl_s must be positive and stale_s not negative")
        self.store = store
        self.ttl_s = ttl_s
        self.stale_s = stale_s
        self._wall = wall_clock

    def now(self) -> float:
        """Wall time, as stamped on new answers."""
        return self._wall()

    def get(self, key: CacheKey, *, allow_stale: bool = False) -> CachedAnswer | None:
        """The fresh answer for ``key`` (or a stale one, kept for outages, when allowed)."""
        raw = self.store.get(KEY_PREFIX + key.digest)
        if raw is None:
            return None
        answer = CachedAnswer.from_bytes(raw)
        if answer is None:
            self.store.delete(KEY_PREFIX + key.digest)
            return None
        if not allow_stale and self._wall() - answer.created_at > self.ttl_s:
            return None
        return answer

    def put(self, key: CacheKey, answer: CachedAnswer) -> None:
        """Store a complete answer; an empty one is not worth serving and is ignored."""
        if not answer.text.strip():
            return
        self.store.set(KEY_PREFIX + key.digest, answer.to_bytes(), ttl_s=self.ttl_s + self.stale_s)

    def delete(self, key: CacheKey) -> None:
        """Forget the answer for ``key`` (a thumbs-down, a corrected fact)."""
        self.store.delete(KEY_PREFIX + key.digest)
