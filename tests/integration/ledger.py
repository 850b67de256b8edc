"""A tiny application for testing the store itself, apart from the incident domain."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from application.store.database_url import store_env


class Tally(Aggregate):
    """Counts what one writer wrote."""

    class Opened(Aggregate.Created):
        writer: str

    class Counted(Aggregate.Event):
        writer: str
        n: int

        def apply(self, aggregate: Tally) -> None:
            aggregate.count = self.n

    def __init__(self, writer: str) -> None:
        self.writer = writer
        self.count = 0

    def add(self) -> None:
        self.trigger_event(self.Counted, writer=self.writer, n=self.count + 1)

    @classmethod
    def open(cls, writer: str) -> Tally:
        return cls._create(cls.Opened, id=uuid4(), writer=writer)


class Ledger(Application[UUID]):
    """An application on the incident store, holding tallies."""

    name = "Ledger"

    def write(self, writer: str, count: int) -> UUID:
        tally = Tally.open(writer)
        self.save(tally)
        for _ in range(count):
            tally.add()
            self.save(tally)
        return tally.id


def ledger(database_url: str, **extra: str) -> Ledger:
    return Ledger({**store_env(database_url), **extra})


def write_in_another_process(database_url: str, writer: str, count: int) -> None:
    """Runs in a spawned process: its own application, its own connections, no table creation."""
    app = ledger(database_url, CREATE_TABLE="n")
    try:
        app.write(writer, count)
    finally:
        app.close()


def expected_events(writers: Mapping[str, int]) -> set[tuple[str, int]]:
    return {(writer, n) for writer, count in writers.items() for n in range(1, count + 1)}
