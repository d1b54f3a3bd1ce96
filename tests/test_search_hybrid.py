"""Keyword index, rank fusion and store selection (no embedding model: fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.keyword import KeywordIndex, keyword_tokens, stem
from retrieval.knowledge_base import check_kb_name, keyword_dir
from retrieval.search import fuse
from retrieval.store import DocumentStore, StoredPassage, http_client_args


def _passage(pid: str, text: str, audience: str = "public", title: str = "T") -> StoredPassage:
    return StoredPassage(pid, pid.split("#")[0], title, "", audience, text, "")


PASSAGES = [
    _passage("refunds.md#0", "Refunds reach your card within 5 business days.", title="Refunds"),
    _passage("shipping.md#0", "Express shipping arrives the next day.", title="Shipping"),
    _passage("limits.md#0", "Agents approve refunds up to 50 EUR.", "internal", "Limits"),
    _passage("pairing.md#0", "Hold the power button to pair the headphones.", title="Pairing"),
]


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (["refund", "refunds", "refunded"], True),
        (["ship", "shipping", "shipped", "ships"], True),
        (["charge", "charged", "charging", "charges"], True),
        (["battery", "batteries"], True),
        (["install", "installing"], True),
        (["refund", "ship"], False),
    ],
)
def test_stemming_joins_word_forms(words: list[str], same: bool) -> None:
    assert (len({stem(w) for w in words}) == 1) is same


def test_tokens_drop_stop_words_and_keep_numbers() -> None:
    assert keyword_tokens("How do I get my refund in 5 days?") == ["get", "refund", "5", "day"]


def test_keyword_search_ranks_and_filters_by_audience() -> None:
    index = KeywordIndex()
    assert index.search("refund", k=3) == []  # nothing built yet
    assert index.rebuild(PASSAGES) == 4

    found = index.search("when is my refund paid", k=3)
    assert [pid for pid, _ in found] == ["refunds.md#0", "limits.md#0"]
    assert found[0][1] > found[1][1] > 0

    assert [pid for pid, _ in index.search("refunds", k=3, audience="public")] == ["refunds.md#0"]
    assert [pid for pid, _ in index.search("refunds", k=3, audience="internal")] == ["limits.md#0"]
    assert index.search("zebra crossing", k=3) == []
    with pytest.raises(ValueError, match="audience"):
        index.search("refund", k=3, audience="staff")


def test_saved_index_is_loaded_by_another_instance_and_reloaded_after_a_rebuild(
    tmp_path: Path,
) -> None:
    writer = KeywordIndex(tmp_path / "keyword" / "kb")
    reader = KeywordIndex(tmp_path / "keyword" / "kb")
    assert not reader.exists() and reader.search("refund", k=2) == []

    writer.rebuild(PASSAGES)
    assert reader.exists() and reader.size == 4
    assert reader.search("headphones", k=2)[0][0] == "pairing.md#0"

    writer.rebuild([_passage("new.md#0", "Headphones now pair by NFC.")])
    assert reader.size == 1
    assert [pid for pid, _ in reader.search("headphones", k=2)] == ["new.md#0"]
    writer.rebuild([])
    assert reader.size == 0 and reader.search("headphones", k=2) == []
    assert sorted(p.name for p in (tmp_path / "keyword").iterdir()) == ["kb"]  # no leftovers


def test_reciprocal_rank_fusion() -> None:
    fused = fuse([["a", "b", "c"], ["b", "d"]])
    assert [pid for pid, _ in fused] == ["b", "a", "d", "c"]
    scores = dict(fused)
    assert scores["b"] == pytest.approx((1 / 62 + 1 / 61) / (2 / 61))
    assert fuse([["x"], ["x"]]) == [("x", pytest.approx(1.0))]
    # Equal fused scores: the first ranking (vector) decides.
    assert [pid for pid, _ in fuse([["a", "b"], ["b", "a"]])] == ["a", "b"]


def test_chroma_url_selects_the_http_client() -> None:
    assert http_client_args("http://chroma.internal:8001") == {
        "host": "chroma.internal",
        "port": 8001,
        "ssl": False,
    }
    assert http_client_args("https://chroma.example.com") == {
        "host": "chroma.example.com",
        "port": 443,
        "ssl": True,
    }
    with pytest.raises(ValueError, match="CHROMA_URL"):
        http_client_args("chroma:8000")


def test_unreachable_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback has no Chroma: the HTTP client was chosen, not the disk.
    with pytest.raises(ConnectionError, match=r"Chroma server at http://127\.0\.0\.1:9"):
        DocumentStore.open(tmp_path / "chroma", chroma_url="http://127.0.0.1:9")
    assert not (tmp_path / "chroma").exists()


def test_knowledge_base_names_are_checked(tmp_path: Path) -> None:
    assert check_kb_name("acme-help_2") == "acme-help_2"
    assert keyword_dir(tmp_path / "chroma", "acme") == tmp_path / "keyword" / "acme"
    for bad in ("ab", "../etc", "-x-", "a b c", "x" * 64):
        with pytest.raises(ValueError, match="knowledge-base name"):
            check_kb_name(bad)


def test_audience_search_falls_back_to_chroma_filter_when_the_nearest_are_all_others() -> None:
    from retrieval import Passage

    store = DocumentStore.ephemeral()
    public = [Passage(f"p{i}.md#0", f"p{i}.md", "P", "", "public", f"p{i}", "h") for i in range(30)]
    internal = Passage("i.md#0", "i.md", "I", "", "internal", "far away", "h")
    near = [[1.0, 0.01 * i, 0.0] for i in range(30)]
    store.add([*public, internal], [*near, [0.0, 0.0, 1.0]])
    query = [1.0, 0.0, 0.0]

    assert [h.source for h in store.search(query, k=2)] == ["p0.md", "p1.md"]
    # The only internal passage is the farthest of 31: not in the 4 x k over-fetch.
    [hit] = store.search(query, k=1, audience="internal")
    assert (hit.source, hit.audience) == ("i.md", "internal")
    assert {h.audience for h in store.search(query, k=31, audience="public")} == {"public"}
    assert len(store.search(query, k=31, audience="public")) == 30
