"""JSON logs: one object per line, bound ids across await points, never message text."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from app.json_logs import (
    BindContext,
    DropText,
    JsonFormatter,
    bind,
    configure_logging,
    current_ids,
    new_request_id,
)
from app.settings import load_settings

SECRET = "my card is 4111 1111 1111 1111"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(BindContext())
    handler.addFilter(DropText())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("deskpilot.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield buffer
    logger.removeHandler(handler)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_lines_are_json_with_the_bound_ids_and_extras(stream: io.StringIO) -> None:
    log = logging.getLogger("deskpilot.test.json")
    with bind(request_id="req-1", conversation_id=7):
        log.info("turn answered in %d ms", 420, extra={"turn": 3, "model": "gpt-4o-mini"})
    log.warning("outside any request")
    first, second = lines(stream)
    assert first["message"] == "turn answered in 420 ms"
    assert first["level"] == "INFO" and first["logger"] == "deskpilot.test.json"
    assert (first["request_id"], first["conversation_id"]) == ("req-1", "7")
    assert (first["turn"], first["model"]) == (3, "gpt-4o-mini")
    assert str(first["time"]).endswith("+00:00")
    assert second["request_id"] is None and second["conversation_id"] is None


def test_text_attributes_never_reach_the_line(stream: io.StringIO) -> None:
    log = logging.getLogger("deskpilot.test.json")
    log.info("message received", extra={"text": SECRET, "message_text": SECRET, "chars": 30})
    try:
        raise ValueError(SECRET)
    except ValueError:
        log.exception("check failed")
    raw = stream.getvalue()
    assert SECRET not in raw
    received, failed = lines(stream)
    assert received["chars"] == 30 and "text" not in received
    assert failed["exception"] == "ValueError" and "test_json_logs.py" in str(failed["stack"])


async def test_concurrent_turns_keep_their_own_ids(stream: io.StringIO) -> None:
    log = logging.getLogger("deskpilot.test.json")

    async def turn(conversation: int) -> None:
        with bind(request_id=new_request_id(), conversation_id=conversation):
            await asyncio.sleep(0.01 * (3 - conversation))
            log.info("turn done")
            assert current_ids()["conversation_id"] == str(conversation)

    await asyncio.gather(turn(1), turn(2))
    assert sorted(str(line["conversation_id"]) for line in lines(stream)) == ["1", "2"]
    assert current_ids() == {"request_id": None, "conversation_id": None}


def test_configure_logging_switches_the_root_handler(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        configure_logging("json", logging.INFO)
        with bind(conversation_id=9):
            logging.getLogger("deskpilot.test.root").info("hello", extra={"text": SECRET})
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["message"] == "hello" and line["conversation_id"] == "9"
        configure_logging("text", logging.INFO)
        logging.getLogger("deskpilot.test.root").info("plain")
        assert "INFO deskpilot.test.root [req=None conv=None] plain" in capsys.readouterr().err
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


def test_the_log_format_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKPILOT_LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("DESKPILOT_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        load_settings()
