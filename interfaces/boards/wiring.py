"""Builds the boards and their runner for one database."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner
from projections.board import Board
from projections.board_checkpoints import DEFAULT_EVERY, BoardCheckpoints
from projections.complaint_facts import ComplaintFactsBoard
from projections.feed_index import FeedIndexBoard
from projections.incident_catalogue import IncidentCatalogueBoard
from projections.incident_states import Incident
from projections.office_board import OfficeBoard
from projections.outlet_queues import OutletQueuesBoard
from projections.shared_pass import SharedPass
from projections.timeline import TimelineBoard


def make_boards(desk: IncidentDesk, checkpoint_every: int = DEFAULT_EVERY) -> list[Board]:
    def load(incident_id: UUID, version: int) -> Incident:
        return desk.get_incident(incident_id, version=version)

    shared = SharedPass(load)  # one pass over each batch for all of them: decoded data, incident states
    return [
        # First: a checkpoint is taken from the other boards' rows before they apply the next batch.
        BoardCheckpoints(
            checkpoint_every
        ),  # what the past boards start from (projections/board_checkpoints.py)
        OfficeBoard(shared),
        IncidentCatalogueBoard(shared),  # every incident, closed ones too: what GET /incidents finds
        TimelineBoard(shared),
        ComplaintFactsBoard(shared),
        FeedIndexBoard(shared),  # what the feed's replays read (projections/feed_index.py)
        OutletQueuesBoard(),  # the queues' own events, beside the incidents': no shared pass to share
    ]


def make_runner(desk: IncidentDesk, engine: Engine, database_url: str) -> BoardRunner:
    return BoardRunner(desk, engine, make_boards(desk), LeaderLock(engine, database_url))
