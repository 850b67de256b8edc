"""A store the CLI cannot use is one line that says why and what to do (exit 5), never a traceback;
`incident migrate` creates the schema its URL names."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from interfaces.cli.main import main
from tests.conftest import POSTGRES_URL

COMMANDS = [
    ["token", "create", "--role", "office", "--unit", "HQ", "--name", "x"],
    ["token", "list"],
    ["verify"],
    ["checkpoint"],
    ["rebuild"],
    ["export", "--all", "-o", "out.ndjson"],
    ["serve", "--port", "0"],
]


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _incident(args: list[str], database_url: str, cwd: Path) -> Ran:
    """`incident ARGS` as its entry point runs it (main(): the one place store faults become one line),
    in this process: a subprocess per call would cost the suite seconds of imports each."""
    out, err = io.StringIO(), io.StringIO()
    saved = (sys.argv, os.environ.get("INCIDENT_DATABASE_URL"), os.getcwd())
    sys.argv = ["incident", *args]
    os.environ["INCIDENT_DATABASE_URL"] = database_url
    os.chdir(cwd)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = saved[0]
        if saved[1] is None:
            os.environ.pop("INCIDENT_DATABASE_URL", None)
        else:
            os.environ["INCIDENT_DATABASE_URL"] = saved[1]
        os.chdir(saved[2])
    return Ran(code, out.getvalue(), err.getvalue())


def _schema_exists(name: str) -> bool:
    with psycopg.connect(POSTGRES_URL) as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,)).fetchone() is not None


@pytest.mark.usefixtures("postgres_url")
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_missing_schema_is_one_line_naming_it_and_what_to_do(args: list[str], tmp_path: Path) -> None:
    name = f"absent_{uuid.uuid4().hex[:8]}"
    done = _incident(args, f"{POSTGRES_URL}?schema={name}", tmp_path)
    assert done.returncode == 5, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert name in lines[0]
    assert "incident migrate" in lines[0]
    assert not _schema_exists(name)  # nothing but `incident migrate` creates it


@pytest.mark.usefixtures("postgres_url")
def test_an_unreachable_database_is_one_line_too(tmp_path: Path) -> None:
    done = _incident(["token", "list"], "postgresql://postgres@127.0.0.1:1/test", tmp_path)
    assert done.returncode == 5
    assert len(done.stderr.strip().splitlines()) == 1
    assert "cannot be reached" in done.stderr


@pytest.mark.usefixtures("postgres_url")
def test_migrate_creates_the_schema_its_url_names_and_then_a_server_s_commands_work(tmp_path: Path) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES_URL}?schema={name}"
    try:
        migrated = _incident(["migrate"], url, tmp_path)
        assert migrated.returncode == 0, migrated.stderr
        assert _schema_exists(name)
        issued = _incident(
            ["token", "create", "--role", "office", "--unit", "HQ", "--name", "x"], url, tmp_path
        )
        assert issued.returncode == 0, issued.stderr
        assert issued.stdout.strip().splitlines()[-1].startswith("inc_")
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_a_schema_name_postgresql_would_fold_is_refused_by_name(tmp_path: Path) -> None:
    done = _incident(["migrate"], f"{POSTGRES_URL}?schema=NewOne", tmp_path)
    assert done.returncode == 2
    assert "'NewOne'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
