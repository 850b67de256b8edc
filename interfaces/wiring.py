"""Builds the product's parts from settings: the one place they are put together."""

from __future__ import annotations

from application.access.tokens import TokenRegistry
from application.incident_desk import Clock, IncidentDesk, utc_now
from application.store.database_url import store_env
from interfaces.http.services import Services
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for


def token_registry(settings: Settings) -> TokenRegistry:
    settings.prepare_storage()
    return TokenRegistry(engine_for(settings.database_url), load_organisation(settings.organisation_file))


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    settings.prepare_storage()
    organisation = load_organisation(settings.organisation_file)
    desk = IncidentDesk(store_env(settings.database_url), clock=clock)
    tokens = TokenRegistry(engine_for(settings.database_url), organisation)
    return Services(desk=desk, tokens=tokens, organisation=organisation, clock=clock)
