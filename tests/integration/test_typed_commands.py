"""A misspelt command or field fails the type check (mypy --strict), before anything runs."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
CALLS = """
from uuid import uuid4
from application.incident_desk import IncidentDesk
from domain.complaint import Complaint
from domain.outlet_queue import OutletQueue
from domain.values import Actor, Level


def use(desk: IncidentDesk, actor: Actor) -> None:
    desk.act(uuid4(), Complaint.escalate(reason="媒体", level=Level.ORANGE), actor=actor, occurred_at=None)
    desk.act(uuid4(), Complaint.escalat(reason="媒体"), actor=actor, occurred_at=None)  # line 11
    desk.act(uuid4(), Complaint.escalate(reasn="媒体"), actor=actor, occurred_at=None)  # line 12
    desk.act(uuid4(), Complaint.escalate(reason="媒体", level="orange"), actor=actor, occurred_at=None)
    desk.act(uuid4(), Complaint.escalate(), actor=actor, occurred_at=None)  # line 14
    desk.act(uuid4(), OutletQueue.end_surge(emergency_id=uuid4()), actor=actor, occurred_at=None)
"""


def test_the_type_check_refuses_a_misspelt_command_a_misspelt_field_a_wrong_type_and_a_wrong_aggregate(
    tmp_path: Path,
) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(CALLS)
    report, _, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"), str(probe)]
    )
    errors = sorted(
        int(line.split(":")[1])
        for line in report.splitlines()
        if line.startswith(str(probe)) and ": error:" in line
    )
    assert status == 1
    assert errors == [11, 12, 13, 14, 15], report
    assert 'has no attribute "escalat"' in report
    assert 'Unexpected keyword argument "reasn"' in report
