"""The branch client's outbox through a long outage: everything said while the server was away arrives,
in the order it was said, each at the time it was said.

The server is down for `INCIDENT_SOAK_OUTAGE_SECONDS` (a few seconds in the suite; minutes in
`make soak`) while a teller goes on working: notes on two complaints, a new report and a note on it.
Every write is queued (exit 4); once the server is back, one `incident sync` sends them all. The
server runs the bank's policies, so what they record on their own is in the histories too.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest

from tests.e2e.test_branch_client import (  # noqa: F401 (fixtures)
    Branch,
    Server,
    names,
    new_id,
    ok,
    queued,
    server,
    teller,
)

OUTAGE_SECONDS = float(os.environ.get("INCIDENT_SOAK_OUTAGE_SECONDS", "3"))
WRITES = 12
# The outage itself, then a start, the writes and the sync: the suite's 120 s is for tests that wait
# on nothing but the product.
pytestmark = pytest.mark.timeout(OUTAGE_SECONDS + 120)


def at(event: dict[str, str], key: str) -> datetime:
    return datetime.fromisoformat(event[key].replace("Z", "+00:00"))


def test_writes_queued_through_a_long_outage_sync_in_order_at_the_times_they_were_said(
    server: Server,  # noqa: F811
    teller: Branch,  # noqa: F811
) -> None:
    first, second, later = new_id(), new_id(), new_id()
    with server.up():
        assert teller.report_complaint(first).exit_code == 0
        assert teller.report_complaint(second).exit_code == 0

    said: dict[str, list[tuple[str, datetime]]] = {first: [], second: [], later: []}
    started = time.monotonic()
    for n in range(WRITES):
        time.sleep(max(0.0, started + n * OUTAGE_SECONDS / WRITES - time.monotonic()))
        target = (first, second)[n % 2] if n < WRITES // 2 or n % 3 else later
        if target == later and not said[later]:
            queued(teller.report_complaint(later))  # a new complaint, reported while offline
            said[later].append(("Reported", datetime.now().astimezone()))
            continue
        text = f"离线第{n}条 offline note {n}"
        queued(teller("act", target, "add_note", "--text", text))
        said[target].append((text, datetime.now().astimezone()))
    assert len(teller.queued()) == WRITES
    time.sleep(max(0.0, started + OUTAGE_SECONDS - time.monotonic()))

    with server.up():
        synced = ok(teller("sync"))
        assert teller.queued() == [], synced.output
        for incident_id, expected in said.items():
            events = server.history(incident_id, teller.token)
            assert [e["version"] for e in events] == list(range(1, len(events) + 1))
            # The bank's policies act too (three related complaints at one outlet are escalated).
            told = [e for e in events if e["actor"]["role"] != "system"]
            offline = told[1:] if incident_id != later else told
            assert len(offline) == len(expected), names(events)
            for event, (text, when) in zip(offline, expected, strict=True):
                if text != "Reported":
                    assert event["data"]["text"] == text  # in the order it was said
                # Recorded at sync, but kept as happening when the teller said it.
                assert abs((at(event, "occurred_at") - when).total_seconds()) < 5
                assert at(event, "recorded_at") > at(event, "occurred_at")
        assert names(server.history(later, teller.token))[0] == "Reported"
