"""How `incident simulate` sends one command: under one idempotency key, resent until it has an answer.

A command that got no answer (a refused or reset connection, a timeout) or a 502/503/504 may or may
not have been applied; sent again under the same `command_id`, it is applied once or replayed. Each
command's outcome — with every attempt — can be written to a record (NDJSON), so that what the server
acknowledged can be checked against the store afterwards.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from application.backoff import Backoff

# No usable answer: the same as none at all (a gateway's, or the server's own "store unavailable").
RESEND_STATUSES = frozenset({502, 503, 504})
# A Retry-After is followed, but never for longer than this: a demo should not stall on one header.
RETRY_AFTER_CAP_SECONDS = 5.0


@dataclass
class Attempt:
    """One try: the status and Retry-After of its answer, or the name of the error that left none."""

    status: int | None = None
    retry_after: str | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class Outcome:
    """What became of one command, after every attempt (one line of the record)."""

    command_id: str
    path: str
    outcome: str  # accepted, refused (4xx), failed (another 5xx), unanswered (given up)
    status: int | None = None
    code: str | None = None  # a refusal's error code (`not_allowed_now`, `command_id_reused`, ...)
    incident_id: str | None = None
    version: int | None = None
    position: int | None = None
    replayed: bool = False
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"


@dataclass
class Tally:
    """What was sent and what became of it: counted by command, attempts counted apart."""

    sent: int = 0
    accepted: int = 0
    refused: int = 0  # by a rule of the bank or the access policy: 4xx
    errors: int = 0  # the server failed (a 5xx not worth resending), or never answered in time
    resent: int = 0  # commands sent more than once before an answer
    unanswered: int = 0  # of the errors: still no answer when the retry window closed
    latencies: list[float] = field(default_factory=list)  # of each answered attempt
    by_status: dict[int, int] = field(default_factory=dict)  # of each attempt's answer
    no_answer: int = 0  # attempts that got no answer at all

    def count(self, outcome: Outcome) -> None:
        self.sent += 1
        self.resent += len(outcome.attempts) > 1
        for attempt in outcome.attempts:
            if attempt.status is None:
                self.no_answer += 1
                continue
            self.latencies.append(attempt.seconds)
            self.by_status[attempt.status] = self.by_status.get(attempt.status, 0) + 1
        if outcome.outcome == "accepted":
            self.accepted += 1
        elif outcome.outcome == "refused":
            self.refused += 1
        else:
            self.errors += 1
            self.unanswered += outcome.outcome == "unanswered"

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "accepted": self.accepted,
            "refused": self.refused,
            "errors": self.errors,
            "resent": self.resent,
            "unanswered": self.unanswered,
            "no_answer": self.no_answer,
            "p50_ms": round(self.percentile(0.50) * 1000, 1),
            "p99_ms": round(self.percentile(0.99) * 1000, 1),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
        }


class Record:
    """The NDJSON file of outcomes, one line per command, flushed as each ends (a killed run keeps its lines)."""

    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] | None = path.open("a", encoding="utf-8") if path is not None else None

    def write(self, outcome: Outcome) -> None:
        if self._file is not None:
            self._file.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def read_record(path: Path) -> list[Outcome]:
    """A record's outcomes, in the order they ended."""
    outcomes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        data["attempts"] = [Attempt(**a) for a in data["attempts"]]
        outcomes.append(Outcome(**data))
    return outcomes


class CommandSender:
    """Sends POSTs with their `command_id`, resending those without an answer for `retry_seconds`."""

    def __init__(self, client: httpx.AsyncClient, retry_seconds: float, record: Record) -> None:
        self.client, self.retry_seconds, self.record = client, retry_seconds, record
        self.tally = Tally()

    async def send(self, path: str, body: dict[str, Any]) -> Outcome:
        """Send until answered (or the window closes); the body, its command_id included, never changes."""
        outcome = Outcome(command_id=str(body["command_id"]), path=path, outcome="unanswered")
        backoff = Backoff(first=0.2, cap=2.0, jitter=0.5)
        first_sent = time.monotonic()
        while True:
            attempt, answer = await self._try(path, body)
            outcome.attempts.append(attempt)
            if answer is not None and answer.status_code not in RESEND_STATUSES:
                _answered(outcome, answer)
                break
            if time.monotonic() - first_sent >= self.retry_seconds:
                if answer is not None:
                    outcome.outcome, outcome.status = "failed", answer.status_code
                break
            await asyncio.sleep(_pause(attempt, backoff))
        self.tally.count(outcome)
        self.record.write(outcome)
        return outcome

    async def _try(self, path: str, body: dict[str, Any]) -> tuple[Attempt, httpx.Response | None]:
        started = time.perf_counter()
        try:
            answer = await self.client.post(path, json=body)
        except httpx.HTTPError as error:
            return Attempt(error=type(error).__name__, seconds=time.perf_counter() - started), None
        seconds = time.perf_counter() - started
        return Attempt(answer.status_code, answer.headers.get("retry-after"), seconds=seconds), answer


def _answered(outcome: Outcome, answer: httpx.Response) -> None:
    outcome.status = answer.status_code
    if answer.is_success:
        outcome.outcome = "accepted"
        data = answer.json()
        outcome.incident_id = str(data.get("incident_id"))
        outcome.version, outcome.position = data.get("version"), data.get("position")
        outcome.replayed = bool(data.get("replayed"))
    else:
        outcome.outcome = "refused" if answer.status_code < 500 else "failed"
        outcome.code = _error_code(answer)


def _error_code(answer: httpx.Response) -> str | None:
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        return None
    return str(error.get("code")) if isinstance(error, dict) else None


def _pause(attempt: Attempt, backoff: Backoff) -> float:
    if attempt.retry_after is not None and attempt.retry_after.isdigit():
        return min(float(attempt.retry_after), RETRY_AFTER_CAP_SECONDS)
    return backoff.next()
