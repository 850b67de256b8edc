"""The leaf of a stored row covers every stored field: changing any one changes the leaf."""

import dataclasses

import pytest

from application.audit.leaf import StoredRow, encode_leaf

ROW = StoredRow(
    7, "0b7a5c1e-0000-4000-8000-000000000001", 3, "domain.emergency:Emergency.Reported", b'{"a": 1}'
)


@pytest.mark.parametrize(
    "change",
    [
        {"position": 8},
        {"originator_id": "0b7a5c1e-0000-4000-8000-000000000002"},
        {"originator_version": 4},
        {"topic": "domain.emergency:Emergency.StoodDown"},
        {"state": b'{"a": 2}'},
        {"state": b'{"a": 1} '},
    ],
)
def test_a_change_to_any_stored_field_changes_the_leaf(change: dict[str, object]) -> None:
    assert encode_leaf(dataclasses.replace(ROW, **change)) != encode_leaf(ROW)  # type: ignore[arg-type]


def test_bytes_moved_between_fields_change_the_leaf() -> None:
    # Length prefixes: the topic's last byte moved to the front of the state is another leaf.
    moved = dataclasses.replace(ROW, topic=ROW.topic[:-1], state=ROW.topic[-1].encode() + ROW.state)
    assert encode_leaf(moved) != encode_leaf(ROW)


def test_the_encoding_is_the_documented_one() -> None:
    assert encode_leaf(ROW) == (
        b"incident-log-leaf-v1" + (7).to_bytes(8, "big") + (3).to_bytes(8, "big")
        + (36).to_bytes(4, "big") + ROW.originator_id.encode()
        + (35).to_bytes(4, "big") + ROW.topic.encode()
        + (8).to_bytes(4, "big") + ROW.state
    )  # fmt: skip
