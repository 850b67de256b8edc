"""Store failures become 503 or 500 in the one error shape, logged without the data they carry."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from interfaces.http.errors import install_error_handlers

SECRET = f"secret-{uuid.uuid4().hex}"


def answer_of(fail: Callable[[], None]) -> tuple[int, dict[str, object], str | None]:
    """An app whose one route fails as given; the transport raises whatever would reach the server."""
    app = FastAPI()
    install_error_handlers(app)
    app.get("/fails")(fail)

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            return await client.get("/fails")

    response = asyncio.run(get())
    return response.status_code, response.json()["error"], response.headers.get("retry-after")


@pytest.mark.postgres
def test_a_database_fault_is_a_500_whose_log_line_holds_no_row_value(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    def duplicate_key() -> None:
        with psycopg.connect(postgres_url.partition("?")[0]) as conn:
            conn.execute("CREATE TEMP TABLE once (key text PRIMARY KEY)")
            conn.execute("INSERT INTO once VALUES (%s)", (SECRET,))
            conn.execute("INSERT INTO once VALUES (%s)", (SECRET,))  # DETAIL: Key (key)=(secret) ...

    status, error, _ = answer_of(duplicate_key)
    assert (status, error["code"]) == (500, "internal_error")
    assert "UniqueViolation" in caplog.text
    assert "duplicate_key" in caplog.text  # where it was raised
    assert SECRET not in caplog.text


def test_a_busy_sqlite_file_is_a_503_with_retry_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (v text)")
    holder.execute("BEGIN EXCLUSIVE")

    def write() -> None:
        with sqlite3.connect(path, timeout=0.05) as conn:
            conn.execute("INSERT INTO t VALUES (?)", (SECRET,))

    try:
        status, error, retry_after = answer_of(write)
    finally:
        holder.close()
    assert (status, error["code"]) == (503, "unavailable")
    assert retry_after is not None
    assert "database is locked" in caplog.text
    assert SECRET not in caplog.text


def test_a_missing_sqlite_table_is_a_fault_not_an_outage(tmp_path: Path) -> None:
    def read() -> None:
        with sqlite3.connect(tmp_path / "empty.db") as conn:
            conn.execute("SELECT * FROM nowhere")

    status, error, retry_after = answer_of(read)
    assert (status, error["code"], retry_after) == (500, "internal_error", None)
