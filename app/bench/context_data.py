"""Data for ``bench context``: a customer with a long history and a large knowledge base."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

DIMENSIONS = 384


def seed_customer(sessions: Callable[[], Any], orders: int) -> str:
    """One customer with ``orders`` orders (two items each), tickets and interactions."""
    from context.crm_tables import Customer, Interaction, Order, OrderItem, Ticket

    now = datetime.now(UTC)
    customer_id = "CUS-90001"
    with sessions() as session:
        session.add(
            Customer(
                id=customer_id,
                name="Bench Customer",
                email="bench@example.com",
                phone="+1 555 0100",
                tier="plus",
                created_at=now - timedelta(days=2000),
            )
        )
        session.flush()
        rng = random.Random(7)
        statuses = ["delivered"] * 8 + ["shipped", "refunded"]
        order_rows, item_rows = [], []
        for n in range(orders):
            placed = now - timedelta(days=n * 3 + 1, hours=rng.randint(0, 23))
            status = statuses[n % len(statuses)] if n else "processing"
            order_id = f"ORD-9{n:05d}"
            order_rows.append(
                {
                    "id": order_id,
                    "customer_id": customer_id,
                    "placed_at": placed,
                    "status": status,
                    "total": Decimal(rng.randint(1000, 150000)) / 100,
                    "currency": "USD",
                    "carrier": "UPS",
                    "tracking_number": f"1Z{n:08d}",
                    "delivered_at": placed + timedelta(days=3) if status == "delivered" else None,
                }
            )
            item_rows += [
                {
                    "order_id": order_id,
                    "sku": f"SKU-{line}",
                    "product_name": rng.choice(["Voltra X2", "Nimbus 14", "Glow Bulb", "Orbit"]),
                    "quantity": 1,
                    "unit_price": Decimal("19.99"),
                }
                for line in range(2)
            ]
        session.execute(insert(Order), order_rows)
        session.execute(insert(OrderItem), item_rows)
        for n in range(12):
            session.add(
                Ticket(
                    id=f"TCK-9{n:04d}",
                    customer_id=customer_id,
                    order_id=f"ORD-9{n:05d}",
                    subject=f"Question about order {n}",
                    status="open" if n < 3 else "solved",
                    created_at=now - timedelta(days=n),
                    updated_at=now,
                )
            )
            session.add(
                Interaction(
                    customer_id=customer_id,
                    channel="chat",
                    occurred_at=now - timedelta(days=n * 5),
                    summary=f"Asked about ORD-9{n:05d}; shared tracking.",
                )
            )
        session.commit()
    return customer_id


def _sentences() -> list[tuple[str, str]]:
    """(article title, sentence) pairs of the demo knowledge base: the chunks' vocabulary."""
    from app.demo import KNOWLEDGE_DIR

    found = []
    for path in sorted(KNOWLEDGE_DIR.glob("*.md")):
        title = path.stem.replace("-", " ").capitalize()
        text = re.sub(r"^---.*?---", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if len(sentence) > 30:
                found.append((title, sentence))
    return found


def fill_store(kb: Any, chunks: int, progress: Callable[[int], None]) -> None:
    """``chunks`` passages of demo-article sentences with random unit vectors, then BM25."""
    import numpy as np

    from retrieval import Passage

    sentences = _sentences()
    rng = random.Random(11)
    vectors_rng = np.random.default_rng(11)
    batch = 2000
    for start in range(0, chunks, batch):
        size = min(batch, chunks - start)
        vectors = vectors_rng.standard_normal((size, DIMENSIONS)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        passages = []
        for offset in range(size):
            title, _ = rng.choice(sentences)
            text = " ".join(s for _, s in rng.sample(sentences, 4))
            number = start + offset
            passages.append(
                Passage(
                    id=f"bench-{number}",
                    source=f"bench/{number // 20}.md",
                    title=title,
                    section=f"Part {number % 20}",
                    audience="public" if number % 4 else "internal",
                    text=text,
                    content_hash="bench",
                )
            )
        kb.store.add(passages, vectors.tolist())
        progress(start + size)
    kb.rebuild_keywords()
