"""The server through a store outage: 503 with Retry-After while it lasts, served again at once after,
every 503 safe to resend under its key, and no SQL parameter, token or password in the log.

One outage of a throwaway PostgreSQL cluster (stopped under client traffic, then started again) is
played once per module; each test states one thing about it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import free_port, issue_token, running_server
from tests.throwaway_postgres import ThrowawayPostgres

OUTLET = "BJ-HD-01"
# A client typically gives up after 5 s; the server must have answered before.
CLIENT_TIMEOUT_SECONDS = 5.0
# Every command carries these values: they are SQL parameters of the event insert, never to be logged.
MARKER = f"停电演练 outage-marker-{uuid.uuid4().hex}"
PASSWORD = f"pw-{uuid.uuid4().hex}"
# SQLAlchemy's two ways of printing parameters: in an error, and after a logged statement's cache note.
PARAMETER_DUMPS = re.compile(
    r"\[parameters: |\[(?:generated in|cached since|no key|raw sql|dialect |insertmanyvalues)[^\]]*\] (?!\[SQL parameters hidden)[({\[]"
)


def report(incident_id: str) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "outlet": OUTLET,
        "channel": "walk_in",
        "category": "service_quality",
        "summary": MARKER,
        "contact": {"name": "张三", "phone": "13800138000", "email": ""},
    }


@dataclass
class Answer:
    """One request and what came back (a status, or the client's exception)."""

    started: float
    ended: float
    status: int | str
    retry_after: str | None = None
    code: str | None = None
    incident_id: str | None = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def ask(call: Callable[[], httpx.Response], incident_id: str | None = None) -> Answer:
    started = time.monotonic()
    try:
        response = call()
    except httpx.HTTPError as error:
        return Answer(started, time.monotonic(), type(error).__name__, incident_id=incident_id)
    code = None
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        code = response.json().get("error", {}).get("code")
    return Answer(
        started,
        time.monotonic(),
        response.status_code,
        response.headers.get("retry-after"),
        code,
        incident_id,
    )


class CapturedLog(logging.Handler):
    """Every record the server's process logs at any level, formatted as a log file would hold it."""

    CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own client, in the same process

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(self.CLIENT_LOGGERS):
            self.lines.append(self.format(record))

    def hear_server(self) -> None:
        """Listen again after the server configured its logging (which replaced the root's handlers and
        levels): at every level, uvicorn's loggers included."""
        for name, level in VERBOSE_LOGGERS.items():
            logging.getLogger(name).setLevel(level)
        unheard = [logger for logger in UVICORN_LOGGERS if not logger.propagate]
        for logger in (logging.getLogger(), *unheard):
            if self not in logger.handlers:
                logger.addHandler(self)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# SQLAlchemy logs each statement, and its parameters unless hidden, at INFO (and result rows at DEBUG,
# which no production server runs with).
VERBOSE_LOGGERS = {"": logging.DEBUG, "sqlalchemy.engine": logging.INFO}


# The server's config replaces the root's handlers and its own loggers' (uvicorn's access log does not
# propagate): `hear_server()` after it.
UVICORN_LOGGERS = (logging.getLogger("uvicorn"), logging.getLogger("uvicorn.access"))


@pytest.fixture(scope="module")
def captured_log() -> Iterator[CapturedLog]:
    """Everything logged at DEBUG and up (SQLAlchemy's statements included) while the module runs."""
    handler = CapturedLog()
    loggers = [logging.getLogger(name) for name in VERBOSE_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger, level in zip(loggers, VERBOSE_LOGGERS.values(), strict=True):
        logger.setLevel(level)
    loggers[0].addHandler(handler)
    yield handler
    for logger in (loggers[0], *UVICORN_LOGGERS):
        logger.removeHandler(handler)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@dataclass
class Outage:
    """What clients saw before, during and after one stop of the database."""

    token: str
    unused_token: str = ""  # issued before the outage, first presented during it: not remembered
    stopped_at: float = 0.0
    back_at: float = 0.0
    traffic: list[Answer] = field(default_factory=list)
    while_down: dict[str, Answer] = field(default_factory=dict)
    first_success_after_return: Answer | None = None
    # incident id answered 503 -> (GET status before it was resent, the resend's status)
    resent: dict[str, tuple[int, int]] = field(default_factory=dict)
    # incident id answered 201 or 503 -> (its history's status, how many events) once all is resent
    stored: dict[str, tuple[int, int]] = field(default_factory=dict)

    def traffic_between(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.traffic if a.started >= start and a.ended <= end]


class Traffic:
    """Branch clients reporting complaints (client-chosen ids) in a loop, as during a working day."""

    def __init__(self, url: str, token: str, clients: int = 3) -> None:
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(url, token)) for _ in range(clients)]

    def _client(self, url: str, token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=auth, timeout=CLIENT_TIMEOUT_SECONDS) as http:
            while not self._stop.is_set():
                incident_id = str(uuid.uuid4())
                body = report(incident_id)
                self.answers.append(
                    ask(lambda body=body: http.post("/api/v1/complaints", json=body), incident_id)
                )
                self._stop.wait(0.02)

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT_SECONDS * 2)

    def wait_for(self, condition: Callable[[list[Answer]], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(list(self.answers)):
            assert time.monotonic() < deadline, "the traffic did not reach the expected state"
            time.sleep(0.02)


@pytest.fixture(scope="module")
def outage(throwaway_postgres: ThrowawayPostgres, captured_log: CapturedLog) -> Iterator[Outage]:
    settings = Settings(database_url=throwaway_postgres.fresh_schema_url(PASSWORD), run_policies=False)
    try:
        with running_server(settings) as url:
            captured_log.hear_server()
            played = Outage(
                token=issue_token(settings, Role.BRANCH, OUTLET, "王丽 大堂经理"),
                unused_token=issue_token(settings, Role.BRANCH, OUTLET, "李明 柜员"),
            )
            auth = {"Authorization": f"Bearer {played.token}"}
            with httpx.Client(base_url=url, headers=auth, timeout=CLIENT_TIMEOUT_SECONDS) as http:
                existing = http.post("/api/v1/complaints", json=report(str(uuid.uuid4()))).json()[
                    "incident_id"
                ]
                _play(played, throwaway_postgres, url, http, existing)
                for answer in played.traffic:
                    if answer.incident_id is None or answer.status not in (201, 503):
                        continue
                    before = http.get(f"/api/v1/incidents/{answer.incident_id}").status_code
                    if answer.status == 503:  # outcome unknown: resent as a client must, same key
                        again = http.post("/api/v1/complaints", json=report(answer.incident_id))
                        played.resent[answer.incident_id] = (before, again.status_code)
                    history = http.get(f"/api/v1/incidents/{answer.incident_id}/history")
                    played.stored[answer.incident_id] = (history.status_code, len(history.json()["events"]))
        yield played
    finally:
        if not throwaway_postgres.running():
            throwaway_postgres.start()


def _play(played: Outage, cluster: ThrowawayPostgres, url: str, http: httpx.Client, existing: str) -> None:
    with Traffic(url, played.token) as traffic:
        traffic.wait_for(lambda answers: sum(a.status == 201 for a in answers) >= 5)
        played.stopped_at = time.monotonic()
        cluster.stop()
        down_from = time.monotonic()
        played.while_down = {
            "command": ask(lambda: http.post("/api/v1/complaints", json=report(str(uuid.uuid4())))),
            "read": ask(lambda: http.get(f"/api/v1/incidents/{existing}")),
            "board": ask(lambda: http.get("/api/v1/boards/office")),
            "readyz": ask(lambda: http.get("/readyz")),
            "healthz": ask(lambda: http.get("/healthz")),
            "unused token": ask(
                lambda: http.get(
                    f"/api/v1/incidents/{existing}",
                    headers={"Authorization": f"Bearer {played.unused_token}"},
                )
            ),
        }
        traffic.wait_for(lambda answers: sum(a.started >= down_from for a in answers) >= 9)
        cluster.start()
        played.back_at = time.monotonic()
        while played.first_success_after_return is None:
            answer = ask(lambda: http.post("/api/v1/complaints", json=report(str(uuid.uuid4()))))
            if answer.status == 201:
                played.first_success_after_return = answer
            assert time.monotonic() - played.back_at < 30, "the server never served again"
        back_from = time.monotonic()
        traffic.wait_for(
            lambda answers: sum(a.started >= back_from and a.status == 201 for a in answers) >= 3
        )
    played.traffic = traffic.answers


@pytest.mark.postgres
def test_while_the_database_is_down_commands_and_reads_answer_503_with_retry_after(outage: Outage) -> None:
    for what in ("command", "read", "board"):
        answer = outage.while_down[what]
        assert (answer.status, answer.code) == (503, "unavailable"), what
        assert answer.retry_after is not None, what
        assert int(answer.retry_after) >= 1, what
        assert answer.seconds < CLIENT_TIMEOUT_SECONDS, what


@pytest.mark.postgres
def test_while_the_database_is_down_a_token_the_server_does_not_remember_is_503_not_401(
    outage: Outage,
) -> None:
    answer = outage.while_down["unused token"]
    assert (answer.status, answer.code) == (503, "unavailable")
    assert answer.seconds < CLIENT_TIMEOUT_SECONDS


@pytest.mark.postgres
def test_while_the_database_is_down_readyz_is_503_at_once_and_healthz_200(outage: Outage) -> None:
    readyz, healthz = outage.while_down["readyz"], outage.while_down["healthz"]
    assert readyz.status == 503
    assert readyz.seconds < CLIENT_TIMEOUT_SECONDS
    assert healthz.status == 200


@pytest.mark.postgres
def test_no_request_of_the_outage_got_a_500_or_hung(outage: Outage) -> None:
    statuses = {answer.status for answer in outage.traffic}
    assert statuses <= {201, 503}, statuses
    assert 503 in statuses  # the clients did meet the outage
    assert all(a.seconds < CLIENT_TIMEOUT_SECONDS for a in outage.traffic)
    refused = [a for a in outage.traffic if a.status == 503]
    assert all(a.retry_after is not None and a.code == "unavailable" for a in refused)


@pytest.mark.postgres
def test_a_command_succeeds_within_seconds_of_the_database_coming_back(outage: Outage) -> None:
    first = outage.first_success_after_return
    assert first is not None
    print(f"first command after the database's return answered {first.ended - outage.back_at:.3f} s after it")
    assert first.ended - outage.back_at < 3.0


@pytest.mark.postgres
def test_a_command_answered_503_resent_under_its_key_is_applied_once_and_every_201_was_stored(
    outage: Outage,
) -> None:
    """A 503 means "not known to be recorded": most were not, but one whose commit landed as the
    connection broke may have been. Resent under the same key, each is recorded exactly once: applied
    now (201) if it was lost, answered with its first result (200, replayed) if it had been stored."""
    accepted = [a.incident_id for a in outage.traffic if a.status == 201 and a.incident_id]
    assert accepted
    assert outage.resent
    for incident_id, (before, again) in outage.resent.items():
        assert (before, again) in {(404, 201), (200, 200)}, incident_id
    print(
        f"503s resent: {len(outage.resent)}, of which already stored: "
        f"{sum(before == 200 for before, _ in outage.resent.values())}"
    )
    assert {outage.stored[i] for i in (*accepted, *outage.resent)} == {(200, 1)}


@pytest.mark.postgres
def test_the_log_of_the_outage_holds_no_sql_parameter_token_hash_or_password(
    outage: Outage, captured_log: CapturedLog
) -> None:
    log = captured_log.text
    if dump := os.environ.get("INCIDENT_TEST_DUMP_LOG"):
        Path(dump).write_text(log)
    token_hash = hashlib.sha256(outage.token.encode()).hexdigest()
    for secret in (outage.token, token_hash, PASSWORD, MARKER, "13800138000"):
        assert secret not in log
    assert not PARAMETER_DUMPS.search(log), PARAMETER_DUMPS.search(log)
    assert "store unavailable" in log  # the outage was logged, and read here


def test_a_locked_sqlite_store_answers_a_command_503_and_stores_nothing(sqlite_settings: Settings) -> None:
    database = Path(sqlite_settings.database_url.removeprefix("sqlite:///"))
    with running_server(sqlite_settings) as url:
        auth = {"Authorization": f"Bearer {issue_token(sqlite_settings, Role.BRANCH, OUTLET)}"}
        with httpx.Client(base_url=url, headers=auth, timeout=CLIENT_TIMEOUT_SECONDS) as http:
            incident_id = str(uuid.uuid4())
            holder = sqlite3.connect(database, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")  # another process writing, and taking its time
            try:
                locked = ask(lambda: http.post("/api/v1/complaints", json=report(incident_id)))
                read_meanwhile = http.get(f"/api/v1/incidents/{incident_id}").status_code
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert (locked.status, locked.code) == (503, "unavailable")
            assert locked.retry_after is not None
            assert locked.seconds < CLIENT_TIMEOUT_SECONDS
            assert read_meanwhile == 404  # readers go on; nothing was stored
            assert http.post("/api/v1/complaints", json=report(incident_id)).status_code == 201


@pytest.mark.postgres
def test_the_server_names_its_store_without_the_password(throwaway_postgres: ThrowawayPostgres) -> None:
    env = {
        **os.environ,
        "INCIDENT_DATABASE_URL": throwaway_postgres.fresh_schema_url(PASSWORD),
        "INCIDENT_PORT": str(free_port()),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli.main", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=10)
    assert "Serving on" in banner
    assert "postgres:***@127.0.0.1" in banner
    assert PASSWORD not in banner + rest
