"""The PII evaluation: its arithmetic, the labelled set it runs on, and ``deskpilot pii redact``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from guardrails.evaluation import (
    EvalReport,
    LabelledEntity,
    LabelledMessage,
    evaluate,
    format_comparison,
    latency,
    load_labelled,
    report_as_dict,
)

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "data" / "pii_eval.jsonl"
# Written by someone who had not read the recognizers, and never used to tune them.
HOLDOUT_SET = ROOT / "tests" / "data" / "pii_holdout.jsonl"
REQUIRED_TYPES = {
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "STREET_ADDRESS",
    "POSTCODE",
    "DATE_OF_BIRTH",
    "ACCOUNT_NUMBER",
    "ORDER_ID",
    "TICKET_ID",
    "CUSTOMER_ID",
}
REDACT_ARGV = [sys.executable, "-m", "app.cli", "pii", "redact"]
REDACT_ARGV = [
    sys.executable,
    "-c",
    "import argparse, sys; from app.cli_pii import register; "
    "p = argparse.ArgumentParser(); register(p.add_subparsers(required=True)); "
    "a = p.parse_args(['pii', 'redact']); sys.exit(a.func(a))",
]


@dataclass(frozen=True)
class Found:
    """A span the fake redactor reports."""

    entity_type: str
    start: int
    end: int


@dataclass
class FakeRedaction:
    """What the fake redactor returns."""

    text: str
    entities: list[Found] = field(default_factory=list)


def fake_redactor(rules: dict[str, str]) -> Callable[[str], FakeRedaction]:
    """Replaces the first occurrence of each exact phrase by ``<TYPE>`` and reports it as TYPE."""

    def redact(text: str) -> FakeRedaction:
        found = [
            Found(kind, text.index(phrase), text.index(phrase) + len(phrase))
            for phrase, kind in rules.items()
            if phrase in text
        ]
        redacted = text
        for span in sorted(found, key=lambda s: -s.start):
            redacted = redacted[: span.start] + f"<{span.entity_type}>" + redacted[span.end :]
        return FakeRedaction(redacted, found)

    return redact


def message(id_: int, text: str, *labels: tuple[str, str]) -> LabelledMessage:
    """A labelled message; each label is (type, value) at the value's first occurrence."""
    entities = tuple(
        LabelledEntity(kind, text.index(value), text.index(value) + len(value), value)
        for kind, value in labels
    )
    return LabelledMessage(id_, "en_GB", text, entities)


def test_a_value_counts_as_removed_only_when_no_case_of_it_is_left() -> None:
    text = "I am Ann Smith, as77@example.org. Again: ANN SMITH, AS77@EXAMPLE.ORG"
    labelled = message(1, text, ("PERSON", "Ann Smith"), ("EMAIL_ADDRESS", "as77@example.org"))
    first_only = evaluate(
        [labelled], fake_redactor({"Ann Smith": "PERSON", "as77@example.org": "E"})
    )
    assert first_only.total().removal_rate == 0.0  # both values are still there in capitals
    every_case = fake_redactor({"Ann Smith": "PERSON", "ANN SMITH": "PERSON"})
    report = evaluate([labelled], every_case)
    assert report.by_type["PERSON"].removal_rate == 1.0
    assert report.by_type["EMAIL_ADDRESS"].removal_rate == 0.0
    assert report.total().removal_rate == 0.5


def test_a_name_with_one_word_left_is_not_removed() -> None:
    labelled = message(1, "Please call Ann Smith back.", ("PERSON", "Ann Smith"))
    partial = evaluate([labelled], fake_redactor({"Smith": "PERSON"}))
    assert partial.by_type["PERSON"].removal_rate == 0.0
    assert partial.by_type["PERSON"].recall == 1.0  # the span was found, the name still leaks


def test_precision_recall_and_type_agnostic_recall() -> None:
    messages = [
        message(
            1,
            "Card 4111 1111 1111 1111, phone 020 7946 0018",
            ("CREDIT_CARD", "4111 1111 1111 1111"),
            ("PHONE_NUMBER", "020 7946 0018"),
        ),
        message(2, "My Nimbus 14 Laptop will not boot since Monday."),
    ]
    redact = fake_redactor(
        {
            "4111 1111 1111 1111": "CREDIT_CARD",  # right type: true positive
            "7946 0018": "US_BANK_NUMBER",  # overlaps the phone with the wrong type
            "Nimbus": "PERSON",  # nothing labelled there
        }
    )
    report = evaluate(messages, redact)
    total = report.total()
    assert (total.labelled, total.found, total.found_any, total.detected) == (2, 1, 2, 3)
    assert total.recall == 0.5 and total.any_type_recall == 1.0
    assert total.precision == pytest.approx(1 / 3)
    assert report.by_type["PERSON"].precision == 0.0 and report.by_type["PERSON"].labelled == 0
    # Half the phone number was replaced: the whole value is no longer there.
    assert report.by_type["PHONE_NUMBER"].removal_rate == 1.0
    assert report.unchanged_share == 0.0  # "Nimbus" was replaced in the clean message


def test_share_of_clean_messages_left_unchanged() -> None:
    messages = [
        message(1, "Do you deliver to Leeds on Saturday?"),
        message(2, "Is the Pulse Watch 3 waterproof?"),
        message(3, "Mail me at bo@example.com", ("EMAIL_ADDRESS", "bo@example.com")),
    ]
    report = evaluate(messages, fake_redactor({"Leeds": "LOCATION", "bo@example.com": "EMAIL"}))
    assert (report.clean_messages, report.clean_unchanged, report.unchanged_share) == (2, 1, 0.5)
    assert report.by_type["EMAIL_ADDRESS"].removal_rate == 1.0
    assert report.by_type["EMAIL_ADDRESS"].recall == 0.0  # reported under another type name


def test_report_renders_side_by_side_and_as_json(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    rows = [
        {
            "id": 1,
            "locale": "en_US",
            "text": "I'm Bo Li",
            "entities": [{"type": "PERSON", "start": 4, "end": 9, "value": "Bo Li"}],
        },
        {"id": 2, "locale": "en_US", "text": "Is it in stock?", "entities": []},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    messages = load_labelled(path)
    ours = evaluate(messages, fake_redactor({"Bo Li": "PERSON"}))
    theirs = evaluate(messages, fake_redactor({"stock": "LOCATION"}))
    table = format_comparison([("ours", ours), ("vanilla", theirs)], title="demo")
    person = next(line for line in table.splitlines() if line.startswith("PERSON"))
    assert "1.000 / 0.000" in person
    assert "unchanged 0.000 (0/1)" in table.splitlines()[-1]
    data = json.loads(json.dumps(report_as_dict(ours)))
    assert data["by_type"]["PERSON"]["removal_rate"] == 1.0 and data["unchanged_share"] == 1.0


def test_bad_offsets_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    row = {
        "id": 1,
        "locale": "en_US",
        "text": "I'm Bo Li",
        "entities": [{"type": "PERSON", "start": 3, "end": 8, "value": "Bo Li"}],
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        load_labelled(path)


def test_latency_uses_messages_of_about_500_characters() -> None:
    timings = (*((500, ms / 1000) for ms in range(1, 101)), (50, 9.0))
    report = EvalReport({}, 101, 0, 0, timings)
    figures = latency(report)
    assert figures is not None
    assert (figures.messages, figures.chars) == (100, "400-600")
    assert (figures.p50_ms, figures.p95_ms) == (51.0, 96.0)
    few = latency(EvalReport({}, 2, 0, 0, ((50, 0.001), (60, 0.003))))
    assert few is not None and few.chars == "all" and few.messages == 2


def test_the_eval_set_is_large_valid_and_mixed() -> None:
    messages = load_labelled(EVAL_SET)  # checks every label's offsets
    assert len(messages) >= 1000
    assert len({m.id for m in messages}) == len(messages)
    clean = [m for m in messages if not m.entities]
    assert len(clean) / len(messages) >= 0.2
    counts: dict[str, int] = {}
    for m in messages:
        for e in m.entities:
            counts[e.entity_type] = counts.get(e.entity_type, 0) + 1
    assert set(counts) == REQUIRED_TYPES
    assert min(counts.values()) >= 50
    names = [e.value for m in messages for e in m.entities if e.entity_type == "PERSON"]
    assert any(n.islower() for n in names) and any(n.isupper() for n in names)
    assert len({m.locale for m in messages}) >= 8
    assert sum(400 <= len(m.text) <= 600 for m in messages) >= 20
    assert all("\n" not in m.text for m in messages)


def test_the_held_out_set_is_valid_and_mixed() -> None:
    messages = load_labelled(HOLDOUT_SET)  # checks every label's offsets
    assert len(messages) >= 500
    assert sum(not m.entities for m in messages) / len(messages) >= 0.2
    assert {e.entity_type for m in messages for e in m.entities} == REQUIRED_TYPES
    assert len({m.locale for m in messages}) >= 10


def test_the_eval_set_is_what_the_generator_writes() -> None:
    from tests.data.make_pii_eval_set import generate

    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == generate()


@pytest.mark.slow
def test_pii_redact_writes_one_json_object_per_line() -> None:
    lines = [
        "Hi, I'm Margaret Oyelaran, mail m.oyelaran@example.org or call +1 415 555 0142.",
        "Does the Nimbus 14 Laptop come with a charger?",
    ]
    done = subprocess.run(
        REDACT_ARGV,
        input="\n".join(lines) + "\n",
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 2 and all(set(o) == {"redacted", "entities"} for o in out)
    first, second = out
    assert "m.oyelaran@example.org" not in first["redacted"]
    assert "555 0142" not in first["redacted"]
    for entity in first["entities"]:
        assert set(entity) == {"type", "start", "end", "score"}
        assert 0 <= entity["start"] < entity["end"] <= len(lines[0])
    spans = {lines[0][e["start"] : e["end"]]: e["type"] for e in first["entities"]}
    assert spans["m.oyelaran@example.org"] == "EMAIL_ADDRESS"
    assert second == {"redacted": lines[1], "entities": []}
