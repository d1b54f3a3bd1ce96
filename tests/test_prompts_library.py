"""The prompt library: every file validated at load, labels pick versions, and the hash lock
fails a prompt that changed without a version bump."""

from __future__ import annotations

import shutil
import typing
from pathlib import Path

import pytest

from app.triage.schemas import Category, Team, Urgency
from prompts.library import default_root, load_library
from prompts.loader import PromptError, load_prompt
from prompts.lock import check_lock, record_new

TEMPLATE = """---
name: greet
version: {version}
description: Say hello.
tier: economy
variables: [company]
---
You answer for $company. {extra}
"""


@pytest.fixture()
def library_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped prompt library."""
    root = tmp_path / "prompts"
    shutil.copytree(default_root() / "templates", root / "templates")
    shutil.copy(default_root() / "labels.yaml", root / "labels.yaml")
    shutil.copy(default_root() / "hashes.yaml", root / "hashes.yaml")
    return root


def test_the_shipped_library_loads_and_matches_its_lock() -> None:
    library = load_library()
    assert set(library.names()) >= {
        "support_reply",
        "triage_classify",
        "ticket_summary",
        "next_action",
    }
    problems = check_lock(library)
    assert problems == [], [p.message for p in problems]


def test_load_prompt_returns_the_production_version_with_its_ref() -> None:
    prompt = load_prompt("support_reply")
    assert prompt.ref == "support_reply@1"
    assert load_prompt("triage_classify", "candidate").ref == "triage_classify@2"
    with pytest.raises(PromptError, match="no prompt template named 'nope'"):
        load_prompt("nope")


def test_editing_a_released_version_without_a_bump_fails_the_lock(library_copy: Path) -> None:
    path = library_copy / "templates" / "triage_classify" / "v1.md"
    path.write_text(path.read_text() + "\nBe brief.\n")
    problems = check_lock(load_library(library_copy))
    assert [(p.ref, p.kind) for p in problems] == [("triage_classify@1", "changed")]
    assert "without a version bump" in problems[0].message
    with pytest.raises(PromptError, match="changed without a version bump"):
        record_new(load_library(library_copy))


def test_a_new_version_is_recorded_and_labels_roll_forward_and_back(library_copy: Path) -> None:
    folder = library_copy / "templates" / "greet"
    folder.mkdir()
    (folder / "v1.md").write_text(TEMPLATE.format(version=1, extra=""))
    (folder / "v2.md").write_text(TEMPLATE.format(version=2, extra="Be warm."))
    labels = library_copy / "labels.yaml"
    labels.write_text(labels.read_text() + "greet:\n  production: 1\n  candidate: 2\n")
    library = load_library(library_copy)
    assert {p.kind for p in check_lock(library)} == {"unrecorded"}
    assert record_new(library) == ["greet@1", "greet@2"]
    assert check_lock(load_library(library_copy)) == []
    assert load_prompt("greet", root=library_copy).version == 1
    labels.write_text(labels.read_text().replace("production: 1\n  candidate: 2", "production: 2"))
    assert load_prompt("greet", root=library_copy).version == 2  # rolled forward, no code change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda root: (root / "labels.yaml").write_text("support_reply: {production: 9}\n"),
            "no version 9",
        ),
        (
            lambda root: (root / "templates" / "next_action" / "v1.md").rename(
                root / "templates" / "next_action" / "v3.md"
            ),
            "front matter version is 1",
        ),
        (
            lambda root: (root / "labels.yaml").write_text("support_reply: {production: 1}\n"),
            "no production version for",
        ),
        (
            lambda root: (root / "templates" / "ticket_summary" / "v1.md").write_text(
                "---\nname: ticket_summary\nversion: 1\ndescription: x\ntier: economy\n"
                "variables: [thread]\n---\nno variable here\n"
            ),
            "declared but never used",
        ),
    ],
)
def test_the_loader_refuses_a_broken_library(
    library_copy: Path, change: typing.Callable[[Path], object], message: str
) -> None:
    change(library_copy)
    with pytest.raises(PromptError, match=message):
        load_library(library_copy)


def test_output_schemas_agree_with_the_pydantic_models() -> None:
    schema = load_prompt("triage_classify").output_schema
    assert schema is not None
    properties = schema["properties"]
    assert properties["urgency"]["enum"] == list(typing.get_args(Urgency))
    assert properties["category"]["enum"] == list(typing.get_args(Category))
    action_schema = load_prompt("next_action").output_schema
    assert action_schema is not None
    assert action_schema["properties"]["team"]["enum"] == list(typing.get_args(Team))
    for name in ("triage_classify", "ticket_summary", "next_action"):
        for _label, template in load_library().labelled(name):
            assert template.output_schema is not None and template.task
