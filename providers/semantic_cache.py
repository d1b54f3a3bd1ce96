"""The semantic cache: validated answers, found again by the meaning of the question.

Only answers a person vouched for (a thumbs-up, a supervisor's approval) go in. A question is
matched by cosine similarity of embeddings of the pseudonymised text, and only among answers of
the same knowledge scope whose customer scope is either the asker's own customer or ``"public"``
(an answer that used no private facts). An answer built on one customer's facts is never served
to another customer.

Entries sit in the ``KeyValueStore`` as one JSON list of ``{q, a, v, prompt}`` per (knowledge
scope, customer scope), ``v`` being the unit vector as base64 float32, so several processes share
them over Redis. Adding is read-modify-write: two approvals of the same
scope at the same instant may lose one, which is acceptable for a cache. The embedding function is
injected (``providers/`` does not import ``retrieval/``); a linear scan with numpy is plenty for a
few hundred entries per scope.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from providers.base import Message
from providers.prompt_parsing import parse_prompt
from providers.response_cache import PUBLIC_SCOPE, scope_of
from providers.state import KeyValueStore

KEY_PREFIX = "cache:semantic:"
Embed = Callable[[str], Sequence[float]]
_Vector = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SemanticHit:
    """The best validated answer for a question, how similar its question was, and that question."""

    answer: str
    similarity: float
    question: str
    prompt: str = ""
    scope: str = PUBLIC_SCOPE


def semantic_query(
    messages: Sequence[Message], *, knowledge_scope: str, scope: str | None = None
) -> tuple[str, str, str] | None:
    """(question, customer scope, knowledge scope per audience) of a single-turn request, or None.

    Follow-up questions are left out: "and how long does that take?" means nothing without the
    earlier turns. The audience is part of the knowledge scope, so an answer written for agents is
    never served to a customer. Use the same triple to add a validated answer and to look one up.
    """
    parsed = parse_prompt(messages)
    found = scope if scope is not None else scope_of(messages)
    if found is None or parsed.history or not parsed.question:
        return None
    return parsed.question, found, f"{knowledge_scope}|{parsed.audience}"


def _unit(vector: Sequence[float]) -> _Vector | None:
    array = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(array))
    if array.ndim != 1 or norm == 0.0 or not np.isfinite(norm):
        return None
    unit: _Vector = array / norm
    return unit


class SemanticCache:
    """Validated answers per (knowledge scope, customer scope), matched by cosine similarity."""

    def __init__(
        self,
        store: KeyValueStore,
        embed: Embed,
        *,
        threshold: float = 0.92,
        max_entries_per_scope: int = 500,
    ) -> None:
        if not -1.0 <= threshold <= 1.0 or max_entries_per_scope < 1:
            raise ValueError("threshold must be in [-1, 1] and max_entries_per_scope positive")
        self.store = store
        self.embed = embed
        self.threshold = threshold
        self.max_entries_per_scope = max_entries_per_scope

    def add_validated(
        self,
        question_pseudonymised: str,
        answer: str,
        *,
        scope: str,
        knowledge_scope: str,
        prompt: str,
    ) -> None:
        """Remember an approved answer; the same question again replaces the older answer."""
        question = question_pseudonymised.strip()
        if not question or not answer.strip() or not scope:
            return
        vector = _unit(self.embed(question))
        if vector is None:
            return
        key = _store_key(knowledge_scope, scope)
        entries = [e for e in self._entries(key) if e["q"] != question]
        entries.append({"q": question, "a": answer, "v": _compact(vector), "prompt": prompt})
        entries = entries[-self.max_entries_per_scope :]
        payload = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
        self.store.set(key, payload.encode("utf-8"))

    def lookup(
        self, question_pseudonymised: str, *, scope: str, knowledge_scope: str
    ) -> SemanticHit | None:
        """The most similar validated answer at or above the threshold, from allowed scopes only."""
        question = question_pseudonymised.strip()
        if not question or not scope:
            return None
        query = _unit(self.embed(question))
        if query is None:
            return None
        best: SemanticHit | None = None
        for allowed in dict.fromkeys((scope, PUBLIC_SCOPE)):
            hit = self._best_in(_store_key(knowledge_scope, allowed), query, allowed)
            if hit is not None and (best is None or hit.similarity > best.similarity):
                best = hit
        return best

    def similarity(self, first: str, second: str) -> float:
        """Cosine similarity of two texts under this cache's embedding (for tuning a threshold)."""
        a, b = _unit(self.embed(first)), _unit(self.embed(second))
        if a is None or b is None or a.shape != b.shape:
            return 0.0
        return float(a @ b)

    def _best_in(self, key: str, query: _Vector, scope: str) -> SemanticHit | None:
        rows: list[npt.NDArray[np.float32]] = []
        entries: list[dict[str, Any]] = []
        for entry in self._entries(key):
            vector = _expand(entry["v"])
            # Entries of another embedder (another dimension) or corrupt ones are passed over.
            if vector is not None and vector.shape == query.shape:
                rows.append(vector)
                entries.append(entry)
        if not entries:
            return None
        matrix = np.vstack(rows).astype(np.float64)
        norms = np.linalg.norm(matrix, axis=1)
        norms[norms == 0.0] = 1.0
        scores = (matrix @ query) / norms
        index = int(np.argmax(scores))
        score = float(scores[index])
        if score < self.threshold:
            return None
        entry = entries[index]
        return SemanticHit(entry["a"], score, entry["q"], entry["prompt"], scope)

    def _entries(self, key: str) -> list[dict[str, Any]]:
        raw = self.store.get(key)
        if raw is None:
            return []
        try:
            data = json.loads(raw)
        except ValueError:
            return []
        if not isinstance(data, list):
            return []
        return [e for e in data if _valid_entry(e)]


def _valid_entry(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    return (
        isinstance(entry.get("q"), str)
        and isinstance(entry.get("a"), str)
        and isinstance(entry.get("prompt"), str)
        and isinstance(entry.get("v"), str)
    )


def _compact(vector: _Vector) -> str:
    # Little-endian float32 in base64: a quarter of the JSON size of decimal floats and parsed
    # without a float-by-float decode, which is what makes a 500-entry scan take milliseconds.
    return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")


def _expand(encoded: str) -> npt.NDArray[np.float32] | None:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw or len(raw) % 4:
        return None
    return np.frombuffer(raw, dtype="<f4")


def _store_key(knowledge_scope: str, scope: str) -> str:
    # Hashed so that scope names may contain any character without two pairs colliding.
    pair = json.dumps([knowledge_scope, scope], ensure_ascii=False)
    return KEY_PREFIX + hashlib.sha256(pair.encode("utf-8")).hexdigest()[:32]
