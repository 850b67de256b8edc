"""Builds the product's parts from settings: the one place they are put together."""

from __future__ import annotations

from application.access.tokens import TokenRegistry
from application.incident_desk import Clock, IncidentDesk, utc_now
from application.store.database_url import store_env
from interfaces.boards.waiting import PositionWaiter, TrackingWaiter
from interfaces.boards.wiring import make_boards, make_runner
from interfaces.http.services import Services
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for


def token_registry(settings: Settings) -> TokenRegistry:
    settings.prepare_storage()
    return TokenRegistry(engine_for(settings.database_url), load_organisation(settings.organisation_file))


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    """Everything a server needs; with `settings.run_boards` its boards are projected in-process."""
    settings.prepare_storage()
    organisation = load_organisation(settings.organisation_file)
    desk = IncidentDesk(store_env(settings.database_url), clock=clock)
    engine = engine_for(settings.database_url)
    tokens = TokenRegistry(engine, organisation)
    runner = make_runner(desk, engine, settings.database_url) if settings.run_boards else None
    boards: PositionWaiter = runner or TrackingWaiter(engine, [b.name for b in make_boards(desk)])
    if runner is not None:
        runner.start()
    return Services(desk, tokens, organisation, clock, engine, boards, runner)
