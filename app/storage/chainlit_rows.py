"""Conversion between Chainlit's dicts (threads, steps, elements) and our encrypted rows."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from app.storage.chainlit_tables import ChatElement, ChatStep, ChatThread
from app.storage.secrets import Encryptor

if TYPE_CHECKING:
    from chainlit.element import Element, ElementDict
    from chainlit.step import StepDict
    from chainlit.types import FeedbackDict, ThreadDict

# Chainlit step fields without text of their own, kept together in one JSON column.
_EXTRA_KEYS = ("command", "modes", "waitForAnswer", "defaultOpen", "autoCollapse", "tags", "icon")
_PLAIN = {
    "name": "name",
    "type": "type",
    "parentId": "parent_id",
    "language": "language",
    "createdAt": "created_at",
    "start": "start",
    "end": "end",
}
_EMPTY: tuple[object, ...] = (None, "", {}, "undefined")


def _encrypt(encryptor: Encryptor, text: str | None) -> str | None:
    return encryptor.encrypt(text) if text else None


def _decrypt(encryptor: Encryptor, token: str | None) -> str:
    return encryptor.decrypt(token) if token else ""


def _show_input(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)[:20]


def _show_input_back(stored: str | None) -> bool | str | None:
    return {"true": True, "false": False}.get(stored, stored) if stored is not None else None


def step_values(step: Mapping[str, Any], encryptor: Encryptor) -> dict[str, Any]:
    """The columns a Chainlit step dict sets (only the keys it carries), text encrypted."""
    values: dict[str, Any] = {
        column: step[key] for key, column in _PLAIN.items() if key in step and step[key] is not None
    }
    if "input" in step:
        values["input_encrypted"] = _encrypt(encryptor, step["input"])
    if "output" in step:
        values["output_encrypted"] = _encrypt(encryptor, step["output"])
    if step.get("metadata") is not None:
        values["metadata_json"] = dict(step["metadata"])
    if "generation" in step:
        generation = step["generation"]
        values["generation_encrypted"] = (
            encryptor.encrypt(json.dumps(generation, default=str)) if generation else None
        )
    if "isError" in step:
        values["is_error"] = bool(step["isError"])
    if "streaming" in step:
        values["streaming"] = bool(step["streaming"])
    if "showInput" in step:
        values["show_input"] = _show_input(step["showInput"])
    extra = {key: step[key] for key in _EXTRA_KEYS if key in step}
    if extra:
        values["extra_json"] = extra
    return values


def apply_step(row: ChatStep, values: Mapping[str, Any], *, fill_only: bool) -> None:
    """Set the columns on ``row``; ``fill_only`` keeps what a later update already wrote."""
    for column, value in values.items():
        current = getattr(row, column)
        if column == "extra_json":
            merged = {**value, **current} if fill_only else {**current, **value}
            row.extra_json = merged
        elif not fill_only or current in _EMPTY:
            setattr(row, column, value)


def step_dict(
    row: ChatStep, encryptor: Encryptor, feedback: FeedbackDict | None = None
) -> StepDict:
    """The Chainlit step dict of a row, decrypted, with its feedback if any."""
    step: dict[str, Any] = {
        "id": row.id,
        "threadId": row.thread_id,
        "parentId": row.parent_id,
        "name": row.name,
        "type": row.type,
        "input": _decrypt(encryptor, row.input_encrypted),
        "output": _decrypt(encryptor, row.output_encrypted),
        "metadata": dict(row.metadata_json or {}),
        "isError": row.is_error,
        "streaming": row.streaming,
        "showInput": _show_input_back(row.show_input),
        "language": row.language,
        "createdAt": row.created_at,
        "start": row.start,
        "end": row.end,
        "generation": (
            json.loads(encryptor.decrypt(row.generation_encrypted))
            if row.generation_encrypted
            else None
        ),
        "feedback": feedback,
        **(row.extra_json or {}),
    }
    return cast("StepDict", step)


def element_row(element: Element, encryptor: Encryptor) -> ChatElement:
    """A row for a Chainlit element: text content encrypted; no URL, path or binary kept."""
    content = element.content
    if isinstance(content, bytes) and (element.mime or "").startswith("text/"):
        content = content.decode("utf-8", errors="replace")
    size = getattr(element, "size", None)
    page = getattr(element, "page", None)
    return ChatElement(
        id=element.id,
        thread_id=element.thread_id,
        for_id=element.for_id,
        name=element.name or "",
        type=element.type,
        display=element.display,
        mime=element.mime,
        size=str(size) if size is not None else None,
        language=getattr(element, "language", None),
        page=page if isinstance(page, int) else None,
        props_json=dict(getattr(element, "props", None) or {}),
        content_encrypted=_encrypt(encryptor, content if isinstance(content, str) else None),
    )


def element_dict(row: ChatElement, encryptor: Encryptor) -> ElementDict:
    """The Chainlit element dict of a row, its text content decrypted (no url: nothing to fetch)."""
    element: dict[str, Any] = {
        "id": row.id,
        "threadId": row.thread_id,
        "forId": row.for_id,
        "name": row.name,
        "type": row.type,
        "display": row.display,
        "mime": row.mime,
        "size": row.size,
        "language": row.language,
        "page": row.page,
        "props": dict(row.props_json or {}),
        "url": None,
        "chainlitKey": None,
        "objectKey": None,
    }
    if row.content_encrypted:
        element["content"] = encryptor.decrypt(row.content_encrypted)
    return cast("ElementDict", element)


def merge_metadata(base: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """Existing keys stay, incoming values win, and a None value removes its key."""
    merged = {**base, **incoming}
    return {key: value for key, value in merged.items() if value is not None}


def thread_name(thread: ChatThread, encryptor: Encryptor) -> str | None:
    """The thread's name, decrypted."""
    return encryptor.decrypt(thread.name_encrypted) if thread.name_encrypted else None


def thread_dict(
    thread: ChatThread,
    encryptor: Encryptor,
    steps: Sequence[StepDict] = (),
    elements: Sequence[ElementDict] = (),
) -> ThreadDict:
    """The Chainlit thread dict of a row (metadata shows the linked conversation id)."""
    metadata = dict(thread.metadata_json or {})
    if thread.conversation_id is not None:
        metadata["conversation_id"] = thread.conversation_id
    created = thread.created_at
    return {
        "id": thread.id,
        "createdAt": created.isoformat().replace("+00:00", "Z"),
        "name": thread_name(thread, encryptor),
        "userId": str(thread.user_id),
        "userIdentifier": thread.user_identifier,
        "tags": list(thread.tags_json) if thread.tags_json is not None else None,
        "metadata": metadata,
        "steps": list(steps),
        "elements": list(elements),
    }


def feedback_dict(step_id: str, feedback_id: int, value: int, comment: str | None) -> FeedbackDict:
    """Our +1/-1 feedback as Chainlit shows it (1 or 0)."""
    return {
        "forId": step_id,
        "id": str(feedback_id),
        "value": 1 if value > 0 else 0,
        "comment": comment,
    }
