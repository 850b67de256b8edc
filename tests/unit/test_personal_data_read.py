"""The recorded read of personal data: a reason of substance, on closed incidents too, and no work done."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.contact import CustomerContact
from domain.errors import InvalidInputError
from domain.personal import MIN_REVEAL_REASON, sees_personal_data
from domain.values import Actor, Role

from .builders import closed_emergency, refused, reported_complaint, resolved_complaint, stamp

AUDITOR = Actor(id="u-audit-01", role=Role.AUDITOR, unit="", name="审计 孙")
LATER = timedelta(days=40)


@pytest.mark.parametrize("closed", [resolved_complaint, closed_emergency], ids=["complaint", "emergency"])
def test_a_closed_incident_records_who_read_it_and_why(closed) -> None:  # type: ignore[no-untyped-def]
    incident = closed()
    idle_marks = (incident.last_actor, incident.last_event_at)
    incident.reveal_personal_data(stamp(LATER, actor=AUDITOR), reason="监管检查 regulator's inspection")
    # A read is no work on the incident: it must not hide passive waiting or move who worked it last.
    assert (incident.last_actor, incident.last_event_at) == idle_marks
    events = incident.collect_events()
    event = events[-1]
    assert type(event).__name__ == "PersonalDataRevealed"
    assert (event.actor, event.reason) == (AUDITOR, "监管检查 regulator's inspection")  # type: ignore[attr-defined]
    rebuilt = None
    for each in events:
        rebuilt = each.mutate(rebuilt)
    assert rebuilt is not None
    assert rebuilt.version == incident.version


@pytest.mark.parametrize("reason", ["", "   ", "audit", "x" * (MIN_REVEAL_REASON - 1), "看看\u202e"])
def test_a_reason_of_no_substance_is_refused_by_name(reason: str) -> None:
    incident = resolved_complaint()
    error = refused(
        incident,
        InvalidInputError,
        lambda: incident.reveal_personal_data(stamp(LATER, actor=AUDITOR), reason=reason),
    )
    assert error.field == "reason"


def test_only_the_desks_that_answer_the_customer_see_personal_data_unasked() -> None:
    assert {role for role in Role if sees_personal_data(role)} == {Role.BRANCH, Role.CALL_CENTRE, Role.OFFICE}


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        (CustomerContact(name="张\u202e三"), "contact.name"),
        (CustomerContact(phone="1" * 41), "contact.phone"),
        (CustomerContact(email="a\x00@example.com"), "contact.email"),
    ],
)
def test_a_contact_is_a_text_like_any_other_refused_by_its_detail(
    contact: CustomerContact, field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused_contact:
        reported_complaint(contact=contact)
    assert refused_contact.value.field == field


def test_a_contact_is_recorded_stripped_and_in_nfc() -> None:
    complaint = reported_complaint(contact=CustomerContact(name=" 豈 ", phone=" 13800138000 "))
    assert complaint.contact == CustomerContact(name="\u8c48", phone="13800138000")
