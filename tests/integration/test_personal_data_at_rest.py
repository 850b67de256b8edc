"""Personal data at rest: sealed in every stored row, opened by the ring, bound to its incident and field."""

from __future__ import annotations

import json
import unicodedata
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.audit.log_tree import LogTree
from application.audit.signed_note import open_checkpoint, verifier_key
from application.audit.verify import verify_stored_log
from application.incident_desk import IncidentDesk
from application.personal_data import KeyRing, PersonalDataError, withheld
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.contact import CustomerContact
from domain.personal import PERSONAL_FIELDS
from interfaces.sql_engine import engine_for
from tests.integration.desk_fixtures import PERSONAL_KEYS, T0, TELLER, complaint_fields, fresh_desk
from tests.integration.test_append_only import plain_connection
from tests.integration.test_log_tree import KEY, NOW, ORIGIN

# Personal values as a customer might give them: any readable text, Chinese names, phone numbers.
# Each begins with a character no other stored field holds, so that a value found in the stored bytes is
# the value itself and not a word of the rest of the row ("positi" is in "position").
readable = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Zs")), min_size=6, max_size=40
).map(lambda text: f"秘{text}")
phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


def _stored_bytes(database_url: str) -> bytes:
    """Every byte of the desk's events, snapshots and receipts as the database holds them."""
    names = (
        ("stored_events", "stored_snapshots", "command_receipts")
        if database_url.startswith("sqlite")
        else ("incidents_events", "incidents_snapshots", "incidents_command_receipts")
    )
    found = b""
    with plain_connection(database_url) as conn:
        for table in names:
            for row in conn.execute(f"SELECT * FROM {table}").fetchall():
                for cell in row:
                    found += bytes(cell) if isinstance(cell, bytes | memoryview) else str(cell).encode()
    return found


def _report(desk: IncidentDesk, reference: str, contact: CustomerContact) -> UUID:
    fields = complaint_fields(customer_reference=reference, contact=contact)
    return desk.report_complaint(actor=TELLER, occurred_at=T0, **fields).incident_id


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=readable, phone=phones, email=readable, reference=readable)
def test_no_personal_value_is_stored_in_clear(
    desk: IncidentDesk, database_url: str, name: str, phone: str, email: str, reference: str
) -> None:
    contact = CustomerContact(name=name, phone=phone, email=f"{email}@example.com")
    incident_id = _report(desk, reference, contact)
    second = CustomerContact(phone=phone[::-1])
    desk.act(
        incident_id,
        Complaint.attempt_retention(real_reason="利率", offer="优惠", retained=False, second_contact=second),
        actor=TELLER,
        occurred_at=T0 + timedelta(minutes=1),
    )
    stored = _stored_bytes(database_url)
    for value in (name, phone, phone[::-1], email, reference):
        for encoded in (value.encode(), json.dumps(value).encode()):
            assert encoded not in stored, f"{value!r} is stored in clear"
    again = fresh_desk(database_url).get_incident(incident_id)
    assert isinstance(again, Complaint)
    # Recorded as every text is: stripped and in NFC (a compatibility ideograph becomes its unified form).
    assert again.customer_reference == unicodedata.normalize("NFC", reference).strip()
    assert again.contact == contact.checked("contact")
    retention = fresh_desk(database_url).history(incident_id)[-1]
    assert vars(retention)["second_contact"] == second


def test_snapshots_are_sealed_and_load_in_full(desk: IncidentDesk, database_url: str) -> None:
    contact = CustomerContact(name="张三丰", phone="13912345678")
    incident_id = _report(desk, "6222021234567890123", contact)
    for n in range(30):  # past the snapshot interval: the incident's state is stored whole
        desk.act(incident_id, Complaint.add_note(text=f"记录 {n}"), actor=TELLER, occurred_at=T0)
    assert desk.snapshots is not None
    assert list(desk.snapshots.get(incident_id)), "a snapshot was taken"
    stored = _stored_bytes(database_url)
    assert b"13912345678" not in stored
    assert b"6222021234567890123" not in stored
    assert "张三丰".encode() not in stored
    again = fresh_desk(database_url).get_incident(incident_id)
    assert isinstance(again, Complaint)
    assert again.contact == contact
    assert again.customer_reference == "6222021234567890123"


def test_a_reader_without_the_key_loads_the_incident_with_the_personal_data_withheld(
    desk: IncidentDesk, database_url: str
) -> None:
    incident_id = _report(desk, "6222-0001", CustomerContact(phone="13700000000"))
    keyless = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n", "AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        incident = keyless.get_incident(incident_id)
    finally:
        keyless.close()
    assert isinstance(incident, Complaint)
    assert incident.customer_reference == withheld(PERSONAL_KEYS.current)
    assert incident.contact == withheld(PERSONAL_KEYS.current)
    assert incident.summary == complaint_fields()["summary"]  # the rest of the record is in clear


def test_after_a_rotation_old_values_open_and_new_ones_are_sealed_under_the_new_key(
    database_url: str,
) -> None:
    first = KeyRing.generate("old")
    env = {**store_env(database_url), "AGGREGATE_CACHE_MAXSIZE": ""}
    before = IncidentDesk(env, personal_keys=first)
    old_id = _report(before, "ref-before-rotation", CustomerContact(name="李四"))
    before.close()
    rotated = first.rotated("new")
    after = IncidentDesk({**env, "CREATE_TABLE": "n"}, personal_keys=rotated)
    try:
        new_id = _report(after, "ref-after-rotation", CustomerContact(name="王五"))
        old, new = after.get_incident(old_id), after.get_incident(new_id)
        assert isinstance(old, Complaint)
        assert isinstance(new, Complaint)
        assert (old.customer_reference, new.customer_reference) == (
            "ref-before-rotation",
            "ref-after-rotation",
        )
        kids = {
            json.loads(after.recorder.select_events(i)[0].state)["customer_reference"]["_data_"]["kid"]
            for i in (old_id, new_id)
        }
        assert kids == {"old", "new"}
    finally:
        after.close()
    # A ring without the old key (its data destroyed) still loads what the old key sealed.
    shredded = KeyRing(
        current="new", keys={"new": rotated.keys["new"]}, fingerprint_key=rotated.fingerprint_key
    )
    reader = IncidentDesk({**env, "CREATE_TABLE": "n"}, personal_keys=shredded)
    try:
        assert reader.get_incident(old_id).customer_reference == withheld("old")  # type: ignore[union-attr]
    finally:
        reader.close()


def test_a_sealed_value_moved_to_another_incident_or_field_does_not_open(desk: IncidentDesk) -> None:
    incident_id = _report(desk, "ref-1", CustomerContact(phone="13600000000"))
    stored = desk.recorder.select_events(incident_id)[0]
    moved = StoredEvent(
        originator_id=uuid4(),
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
    )
    with pytest.raises(PersonalDataError, match=r"customer_reference|contact"):
        desk.mapper.to_domain_event(moved)
    state = json.loads(stored.state)
    state["customer_reference"], state["contact"] = state["contact"], state["customer_reference"]
    swapped = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    with pytest.raises(PersonalDataError, match=str(incident_id)):
        desk.mapper.to_domain_event(swapped)


def test_the_log_verifies_without_the_personal_data_key(desk: IncidentDesk, database_url: str) -> None:
    _report(desk, "ref-verify", CustomerContact(email="a@example.com"))
    keyless = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"})
    try:
        tree = LogTree(engine_for(database_url), ORIGIN, KEY)
        tree.create_tables()
        tree.extend(keyless.recorder)
        tree.checkpoint(NOW)
        note = tree.latest_checkpoint()
        assert note is not None
        result = verify_stored_log(
            tree, keyless.recorder, open_checkpoint(note, verifier_key(ORIGIN, KEY.public_key()))
        )
    finally:
        keyless.close()
    assert result.intact
    assert result.rows_checked >= 1


def test_every_personal_field_of_the_domain_is_one_the_mapper_seals() -> None:
    # The rule's list names the fields the events really have: a renamed field would go unsealed.
    declared = {
        name
        for event_class in (Complaint.Reported, Complaint.RetentionAttempted)
        for cls in event_class.__mro__
        for name in getattr(cls, "__annotations__", {})
    }
    assert declared >= PERSONAL_FIELDS
