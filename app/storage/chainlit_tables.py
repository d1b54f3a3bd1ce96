"""Tables behind the Chainlit data layer: chat threads, their steps and elements.

What may hold personal data is encrypted at rest: a thread's name (made from the first
message), a step's input and output, a text element's content and a step's generation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from app.storage.tables import utcnow


class ChatThread(SQLModel, table=True):
    """One Chainlit thread (a chat as the sidebar lists it), owned by one user."""

    __tablename__ = "app_chat_threads"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_users.id", index=True)
    user_identifier: str = Field(max_length=150)
    conversation_id: int | None = Field(
        default=None, foreign_key="app_conversations.id", index=True
    )
    name_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tags_json: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    metadata_json: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class ChatStep(SQLModel, table=True):
    """One step of a thread: a message, a tool run, a run of the assistant."""

    __tablename__ = "app_chat_steps"

    id: str = Field(primary_key=True, max_length=64)
    thread_id: str = Field(foreign_key="app_chat_threads.id", index=True, max_length=64)
    parent_id: str | None = Field(default=None, max_length=64)
    name: str = Field(default="", sa_column=Column(Text, nullable=False))
    type: str = Field(default="undefined", max_length=40)
    input_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    output_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    metadata_json: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # The rest of Chainlit's step fields (command, modes, tags, defaultOpen ...), no text.
    extra_json: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    generation_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    is_error: bool = False
    streaming: bool = False
    show_input: str | None = Field(default=None, max_length=20)  # "true" | "false" | a language
    language: str | None = Field(default=None, max_length=40)
    # Chainlit's own ISO strings, kept as sent (they order the steps of a thread).
    created_at: str | None = Field(default=None, max_length=40)
    start: str | None = Field(default=None, max_length=40)
    end: str | None = Field(default=None, max_length=40)


class ChatElement(SQLModel, table=True):
    """A file, image or text attached to a step; only text content is kept (encrypted)."""

    __tablename__ = "app_chat_elements"

    id: str = Field(primary_key=True, max_length=64)
    thread_id: str = Field(foreign_key="app_chat_threads.id", index=True, max_length=64)
    for_id: str | None = Field(default=None, max_length=64)
    name: str = Field(default="", sa_column=Column(Text, nullable=False))
    type: str = Field(default="file", max_length=40)
    display: str = Field(default="inline", max_length=20)
    mime: str | None = Field(default=None, max_length=150)
    size: str | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=40)
    page: int | None = None
    props_json: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


__all__ = ["ChatElement", "ChatStep", "ChatThread"]
