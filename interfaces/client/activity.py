"""Realistic branch activity for `incident simulate`: what outlets report and do, as the seeds describe it.

Only the public HTTP API is used. The outlets come from the wall board (those in the token's scope);
each incident is then worked the way the product itself says it should be: its next expected step,
or an open playbook action, taken from `GET /incidents/{id}/commands`, with fields filled from the
offer's form. So the activity follows the complaint steps (受理 → 隔离 → 致歉 → 核实 → 方案 → 意见 →
执行 → 回访 → 办结) and the playbooks of seed 003 without a copy of either here.

gentle  a lively demo board: a report every second or so across the bank, steps on open incidents,
        now and then a drill (演练), a late report from an outlet that was offline, a queue reading
storm   a regional outage and a rumour: every outlet of one branch reports a service disruption at
        once and floods complaints and queue readings, while bank-run reports spread outlet by outlet
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx

from domain.complaint_terms import Category, Channel
from domain.emergency_terms import EmergencyKind
from domain.incident_type import IncidentType
from domain.level import Level
from interfaces.client.sending import CommandSender, Record, Tally

Mode = Literal["gentle", "storm"]
API = "/api/v1"
# Words staff would type: short, bilingual, from the seeds' situations.
SUMMARIES = {
    "complaint": [
        "客户称ATM吐出假币 customer says the ATM gave out a counterfeit note",
        "排队时间过长 waited too long in the queue",
        "柜员态度生硬 the teller was curt",
        "理财产品收益与宣传不符 returns differ from what was promised",
        "手续费未事先告知 a fee not disclosed beforehand",
    ],
    "emergency": [
        "营业厅停电 power failure in the hall",
        "系统故障无法办理业务 system down, no transactions",
        "客户突发疾病 a customer was taken ill",
        "门口聚集人员 a crowd gathering at the door",
        "网传本行倒闭谣言 online rumour the bank will fail",
    ],
}
WORDS = [
    "已处理 handled",
    "已向客户说明 explained to the customer",
    "按规定办理 done by the rules",
    "见附件 see file",
]
# How long a command without an answer is resent (same command id) before it counts as unanswered:
# long enough to ride out a server's restart or a database's failover.
RETRY_SECONDS = 60.0
# After a failed read (the next step's offers), a sender pauses so that a down server is not spun on.
READ_FAILURE_PAUSE_SECONDS = 0.2
LATE_SHARE = 0.1  # reports from outlets that were offline: they happened earlier than they arrive
DRILL_SHARE = 0.05


@dataclass
class Outlets:
    """The outlets in scope, and the branch (分行) each belongs to."""

    codes: list[str]
    branch_of: dict[str, str]

    @classmethod
    def from_wall(cls, units: Sequence[dict[str, Any]]) -> Outlets:
        parent = {u["code"]: u.get("parent") for u in units}
        kind = {u["code"]: u.get("kind") for u in units}
        outlets = [u["code"] for u in units if u.get("kind") == "outlet"]
        branch_of = {}
        for code in outlets:
            node: str | None = code
            while node is not None and kind.get(node) != "branch":
                node = parent.get(node)
            branch_of[code] = node or code
        return cls(outlets, branch_of)

    def of_branch(self, branch: str) -> list[str]:
        return [code for code in self.codes if self.branch_of[code] == branch]


class Simulator:
    """Workers that send activity over one HTTP client until the time is up."""

    def __init__(self, sender: CommandSender, outlets: Outlets, mode: Mode, rng: random.Random) -> None:
        self.sender, self.outlets, self.mode, self.rng = sender, outlets, mode, rng
        self.open: list[str] = []  # incidents reported and not yet seen closed

    @property
    def tally(self) -> Tally:
        return self.sender.tally

    async def _read(self, path: str) -> httpx.Response | None:
        """A read for the next step; None (after a pause, so a down server is not spun on) if it failed."""
        try:
            answer = await self.sender.client.get(path)
        except httpx.HTTPError:
            answer = None
        if answer is None or answer.status_code != 200:
            await asyncio.sleep(READ_FAILURE_PAUSE_SECONDS)
            return None
        return answer

    async def report(self, outlet: str, incident_type: str, **fields: Any) -> None:
        late = self.rng.random() < LATE_SHARE
        body: dict[str, Any] = {
            "outlet": outlet,
            "summary": self.rng.choice(SUMMARIES[incident_type]),
            **fields,
        }
        body["incident_id"] = str(uuid.uuid4())  # as a branch's client does: safe to resend
        body["command_id"] = uuid.uuid4().hex
        if late:
            body["occurred_at"] = (
                datetime.now(UTC) - timedelta(minutes=self.rng.randint(20, 180))
            ).isoformat()
        if incident_type == "complaint":
            body.setdefault("channel", self.rng.choice([c.value for c in Channel]))
            body.setdefault("category", self.rng.choice([c.value for c in Category]))
        else:
            body.setdefault("kind", self.rng.choice([k.value for k in EmergencyKind]))
            body.setdefault(
                "level", self.rng.choice([Level.BLUE.value, Level.YELLOW.value, Level.ORANGE.value])
            )
            body.setdefault("exercise", self.rng.random() < DRILL_SHARE)
        outcome = await self.sender.send(f"{API}/{IncidentType(incident_type).plural}", body)
        if outcome.accepted and outcome.incident_id is not None:
            self.open.append(outcome.incident_id)

    async def step(self, incident_id: str) -> None:
        """The incident's next expected step, or an open playbook action, as the product offers it."""
        answer = await self._read(f"{API}/incidents/{incident_id}/commands")
        if answer is None:
            return
        offers = answer.json()["commands"]
        chosen = next((o for o in offers if o["next_step"]), None)
        if chosen is None:
            chosen = next(
                (
                    o
                    for o in offers
                    if o["name"] in ("complete_playbook_action", "notify_authority", "stand_down", "close")
                ),
                None,
            )
        if chosen is None:
            if incident_id in self.open:
                self.open.remove(incident_id)  # nothing left to do but notes: it is done
            return
        body = {f["name"]: value for f in chosen["fields"] if (value := self._value(f)) is not None}
        body["command_id"] = uuid.uuid4().hex
        await self.sender.send(chosen["path"], body)

    def _value(self, form_field: dict[str, Any]) -> Any:
        kind, required = form_field["kind"], form_field["required"]
        if form_field["name"] == "occurred_at" or (not required and self.rng.random() < 0.7):
            return None  # done as it is recorded; late reports are the reports' own
        if kind == "choice" and form_field.get("choices"):
            return self.rng.choice(form_field["choices"])["code"]
        if kind == "boolean":
            return self.rng.random() < 0.8  # most facts are founded, most customers accept
        if kind == "integer":
            return self.rng.randint(1, 5)
        if kind == "time":
            return (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        if kind == "group":
            return {"phone": f"1{self.rng.randint(3, 9)}{self.rng.randint(100000000, 999999999)}"}
        return self.rng.choice(WORDS)

    async def reading(self, outlet: str, surge: bool) -> None:
        waiting = self.rng.randint(16, 60) if surge else self.rng.randint(0, 12)
        wait = self.rng.uniform(10.5, 40) if surge else self.rng.uniform(0, 8)
        body = {"waiting": waiting, "longest_wait_minutes": round(wait, 1), "command_id": uuid.uuid4().hex}
        await self.sender.send(f"{API}/outlets/{outlet}/queue-readings", body)

    async def one_action(self, elapsed: float) -> None:
        """One thing happening somewhere, drawn by the mode."""
        rng = self.rng
        if self.mode == "storm":
            await self._storm_action(elapsed)
            return
        draw = rng.random()
        if self.open and draw < 0.55:
            await self.step(rng.choice(self.open))
        elif draw < 0.75:
            await self.report(rng.choice(self.outlets.codes), "complaint")
        elif draw < 0.85:
            await self.report(rng.choice(self.outlets.codes), "emergency")
        else:
            await self.reading(rng.choice(self.outlets.codes), surge=rng.random() < 0.1)

    async def _storm_action(self, elapsed: float) -> None:
        rng = self.rng
        branches = sorted(set(self.outlets.branch_of.values()))
        struck = branches[0]  # the region the outage hits: the same one for the whole run
        region = self.outlets.of_branch(struck) or self.outlets.codes
        # The rumour reaches one more outlet every few seconds.
        reached = self.outlets.codes[: 1 + int(elapsed / 3)]
        draw = rng.random()
        if draw < 0.3:
            await self.report(rng.choice(region), "emergency", kind=EmergencyKind.SERVICE_DISRUPTION.value)
        elif draw < 0.55:
            await self.report(rng.choice(region), "complaint")
        elif draw < 0.7:
            await self.reading(rng.choice(region), surge=True)
        elif draw < 0.8:
            level = Level.ORANGE.value if elapsed > 10 else Level.YELLOW.value
            await self.report(
                rng.choice(reached), "emergency", kind=EmergencyKind.BANK_RUN.value, level=level
            )
        elif self.open:
            await self.step(rng.choice(self.open))


async def simulate(
    base_url: str,
    token: str,
    mode: Mode,
    seconds: float,
    clients: int,
    seed: int | None,
    unit: str | None = None,
    on_progress: Any = None,
    *,
    retry_seconds: float = RETRY_SECONDS,
    record: Path | None = None,
) -> Tally:
    """Run `clients` concurrent senders for `seconds`; the tally of everything sent.

    A command without an answer is resent under its command id for up to `retry_seconds` (its sender
    waits on it, as a branch waits on its server); each command's outcome is appended to `record`.
    """
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    log = Record(record)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as client:
        try:
            wall = await client.get(f"{API}/boards/wall", params={"unit": unit} if unit else None)
            wall.raise_for_status()
            outlets = Outlets.from_wall(wall.json()["units"])
            if not outlets.codes:
                raise ValueError("the token's scope holds no outlet to simulate")
            simulator = Simulator(CommandSender(client, retry_seconds, log), outlets, mode, rng)
            started = time.monotonic()
            pause = 0.0 if mode == "storm" else 0.5  # a gentle board: about two actions a second per sender

            async def sender() -> None:
                while (elapsed := time.monotonic() - started) < seconds:
                    await simulator.one_action(elapsed)
                    if on_progress is not None:
                        on_progress(simulator.tally, elapsed)
                    if pause:
                        await asyncio.sleep(rng.uniform(0, 2 * pause))

            await asyncio.gather(*(sender() for _ in range(clients)))
            return simulator.tally
        finally:
            log.close()
