"""Ingestion and search with the real MiniLM model and a real Chroma store in tmp_path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from retrieval import DocumentStore, Embedder, KnowledgeBase, ingest_directory

pytestmark = pytest.mark.slow

# The team's shared folder sits beside the repository (in CI too).
PLAUSIBLE_DOCS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "plausible-docs"

ARTICLES = {
    "returns-and-refunds.md": """\
---
title: Returns and refunds
updated: 2026-10-02
tags: [returns, refunds]
---
# Returns and refunds

You can return any unused item within 30 days of delivery. Start a return from the Orders page
of your account and print the prepaid label.

## Refund timing

Once the parcel reaches our warehouse we inspect it within 2 days. Refunds are issued to the
original payment method within 5 business days after inspection. Card refunds may take a few
more days to appear on your statement.
""",
    "shipping.md": """\
---
title: Shipping and delivery
audience: public
---
# Shipping and delivery

Standard shipping takes 3 to 5 business days within the country. Express shipping arrives the
next business day when ordered before 2 pm.

## Tracking your parcel

Every order ships with a tracking number from UPS or DHL. The tracking link is in the shipping
confirmation email.
""",
    "guides/voltra-x2-pairing.md": """\
---
title: Pairing the Voltra X2 headphones
---
# Pairing the Voltra X2 headphones

Hold the power button for 5 seconds until the light blinks blue. Open the Bluetooth settings
on your phone and choose "Voltra X2". If pairing fails, reset the headphones by holding the
power and volume-down buttons together for 10 seconds.
""",
    "playbooks/refund-approval.md": """\
---
title: Refund approval playbook
audience: internal
---
# Refund approval playbook

## Approval limits

Agents may approve goodwill refunds up to 50 EUR on their own. Refunds between 50 and 500 EUR
need a team lead's sign-off in the back office. Anything above 500 EUR goes to the finance
manager, who answers within one working day.
""",
    "warranty.md": """\
# Warranty

All electronics carry a two-year manufacturer warranty covering defects in materials and
workmanship. Damage from drops or water is not covered.
""",
}

INTERNAL_QUESTION = "Who has to sign off a goodwill refund of 300 EUR?"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """One MiniLM for the whole module: loading it takes seconds."""
    return Embedder.load()


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A small knowledge base written to disk."""
    root = tmp_path / "kb"
    for name, text in ARTICLES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    """A persistent Chroma store in a temporary directory."""
    return DocumentStore.persistent(tmp_path / "chroma")


def test_embedder_returns_unit_vectors(embedder: Embedder) -> None:
    vectors = embedder.embed(["refund", "headphones"])
    assert embedder.dimension == 384
    assert [len(v) for v in vectors] == [384, 384]
    assert all(abs(sum(x * x for x in v) - 1.0) < 1e-4 for v in vectors)
    assert embedder.embed_query("refund") == pytest.approx(vectors[0], abs=1e-5)


def test_refund_question_finds_the_returns_article(
    kb_dir: Path, store: DocumentStore, embedder: Embedder
) -> None:
    seen: list[tuple[int, int]] = []
    report = ingest_directory(kb_dir, store, embedder, progress=lambda d, t: seen.append((d, t)))
    assert report.documents == 5
    assert report.errors == []
    assert store.count() == report.passages
    assert seen[-1] == (report.passages, report.passages)

    hits = KnowledgeBase(store, embedder).search("how long does a refund take", k=3)

    assert hits[0].source == "returns-and-refunds.md"
    assert hits[0].section == "Refund timing"
    assert "5 business days" in hits[0].text
    assert hits == sorted(hits, key=lambda h: h.score, reverse=True)
    assert 0.0 < hits[0].score <= 1.0


def test_public_audience_never_sees_internal_passages(
    kb_dir: Path, store: DocumentStore, embedder: Embedder
) -> None:
    ingest_directory(kb_dir, store, embedder)
    kb = KnowledgeBase(store, embedder)

    agent_hits = kb.search(INTERNAL_QUESTION, k=3)
    assert agent_hits[0].source == "playbooks/refund-approval.md"
    assert agent_hits[0].audience == "internal"

    for question in (INTERNAL_QUESTION, "refund approval limits for agents", "finance manager"):
        hits = kb.search(question, k=store.count(), audience="public")
        assert hits, question
        assert all(h.audience == "public" for h in hits)
        assert all("playbook" not in h.source for h in hits)


def test_reingest_skips_unchanged_and_replaces_changed(
    kb_dir: Path, store: DocumentStore, embedder: Embedder
) -> None:
    first = ingest_directory(kb_dir, store, embedder)
    count = store.count()

    again = ingest_directory(kb_dir, store, embedder)
    assert (again.documents, again.passages, again.skipped_unchanged) == (0, 0, 5)
    assert store.count() == count

    (kb_dir / "shipping.md").write_text(
        "# Shipping and delivery\n\nAll parcels now travel by cargo bike and arrive in 2 days.\n",
        encoding="utf-8",
    )
    changed = ingest_directory(kb_dir, store, embedder)
    assert (changed.documents, changed.skipped_unchanged) == (1, 4)

    texts = [h.text for h in KnowledgeBase(store, embedder).search("shipping", k=store.count())]
    assert len(texts) == store.count() == count - 2 + 1  # shipping had 2 passages, now 1
    assert any("cargo bike" in t for t in texts)
    assert not any("Express shipping" in t or "tracking number" in t for t in texts)
    assert first.passages == count


def test_persisted_store_reopens_with_same_content(
    kb_dir: Path, tmp_path: Path, store: DocumentStore, embedder: Embedder
) -> None:
    ingest_directory(kb_dir, store, embedder)
    # A fresh process: Chroma caches clients per path inside one process.
    script = (
        "import sys; from pathlib import Path; from retrieval import DocumentStore; "
        "s = DocumentStore.persistent(Path(sys.argv[1])); print(s.count(), len(s.sources()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "chroma")],
        capture_output=True,
        text=True,
        check=True,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.split() == [str(store.count()), "5"]


@pytest.fixture(scope="module")
def plausible_kb(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> KnowledgeBase:
    """The Plausible help center, ingested once for this module."""
    if not PLAUSIBLE_DOCS.is_dir():
        pytest.skip("plausible-docs corpus not present")
    store = DocumentStore.persistent(tmp_path_factory.mktemp("plausible") / "chroma")
    report = ingest_directory(PLAUSIBLE_DOCS, store, embedder)
    assert report.errors == []
    assert report.documents > 100
    return KnowledgeBase(store, embedder)


# Two articles answer "exclude my own visits": by IP/country/page, or by a localStorage flag.
EXCLUSION = {"excluding.md", "excluding-localstorage.md"}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how do I exclude my own visits from my stats", EXCLUSION),
        ("stop counting visits from our office IP address", {"excluding.md"}),
        ("how can I cancel my subscription", {"cancel-subscription.md"}),
        ("set up two-factor authentication for my login", {"2fa.md"}),
    ],
)
def test_plausible_questions_find_their_article(
    plausible_kb: KnowledgeBase, question: str, expected: set[str]
) -> None:
    sources = [hit.source for hit in plausible_kb.search(question, k=3)]
    assert expected & set(sources), sources


def test_empty_store_and_blank_query_return_nothing(
    store: DocumentStore, embedder: Embedder
) -> None:
    kb = KnowledgeBase(store, embedder)
    assert kb.search("anything", k=4) == []
    assert kb.search("   ", k=4) == []
