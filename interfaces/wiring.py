"""Builds the product's parts from settings: the one place they are put together."""

from __future__ import annotations

import os

from sqlalchemy import Engine

from application.access.tokens import TokenRegistry
from application.audit.log_tree import LogTree
from application.audit.tree_follower import TreeFollower
from application.incident_desk import Clock, IncidentDesk, utc_now
from application.notification_rules import NotificationRulesDesk
from application.policies import standard_policies
from application.policies.checkpoint import PolicyCheckpoints
from application.policies.deliveries import Deliveries, DeliveryThread
from application.policies.notifier import NotifierPolicy
from application.policies.runner import Leadership, PolicyRunner
from application.policies.settings import PolicySettings
from application.store.database_url import store_env
from application.store.errors import SchemaNotMigratedError
from domain.organisation import Organisation
from interfaces.boards.leader import LeaderLock
from interfaces.boards.waiting import PositionWaiter, TrackingWaiter
from interfaces.boards.wiring import make_boards, make_runner
from interfaces.notify.sending import sender
from interfaces.notify.settings_file import NotificationSettings, load_notifications, settings_lines
from interfaces.organisation_file import load_organisation
from interfaces.personal_keys import load_or_create_key_ring
from interfaces.schema_version import check_or_stamp
from interfaces.services import Services
from interfaces.settings import Settings
from interfaces.signing_key import load_or_create_signing_key
from interfaces.sql_engine import engine_for
from interfaces.thresholds_file import start_thresholds

# What the operator runs when a server's role finds no tables it may use: the application names no command.
MIGRATE_HINT = "run `incident migrate` with the owner's database URL, with --server-role naming this role"


def open_desk(settings: Settings, clock: Clock = utc_now) -> IncidentDesk:
    """The incident desk on the settings' store; a schema not migrated for this role says what to run."""
    try:
        return IncidentDesk(
            store_env(settings.database_url),
            clock=clock,
            personal_keys=load_or_create_key_ring(settings.personal_keys_path()),
        )
    except SchemaNotMigratedError as error:
        raise SchemaNotMigratedError(f"{error}; {MIGRATE_HINT}") from error


def token_registry(settings: Settings) -> TokenRegistry:
    settings.prepare_storage()
    try:
        return TokenRegistry(
            engine_for(settings.database_url),
            load_organisation(settings.organisation_file),
            cache_seconds=settings.token_cache_seconds,
        )
    except SchemaNotMigratedError as error:
        raise SchemaNotMigratedError(f"{error}; {MIGRATE_HINT}") from error


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    """Everything a server needs; with `settings.run_boards` its boards are projected in-process."""
    settings.prepare_storage()
    organisation = load_organisation(settings.organisation_file)
    notifications = notification_settings(settings, organisation)
    desk = open_desk(settings, clock)
    engine = engine_for(settings.database_url)
    check_or_stamp(engine)  # a schema behind this code: refuse, and say to migrate
    start_thresholds(desk, settings.thresholds_file)  # before the policies: they decide under them
    record_notifications(desk, notifications)
    tokens = TokenRegistry(engine, organisation, cache_seconds=settings.token_cache_seconds)
    read_models = engine_for(settings.database_url, durable=False)
    runner = make_runner(desk, read_models, settings.database_url) if settings.run_boards else None
    boards: PositionWaiter = runner or TrackingWaiter(engine, [b.name for b in make_boards(desk)])
    run_policies = runner is not None and settings.run_policies
    policies = (
        make_policy_runner(desk, organisation, settings, read_models, runner.leader, notifications)
        if runner and run_policies
        else None
    )
    deliveries = (
        make_delivery_thread(desk, notifications, runner.leader, clock) if runner and run_policies else None
    )
    log_tree = make_log_tree(settings, engine)
    tree_follower = (
        TreeFollower(log_tree, desk.recorder, clock, runner.leader) if runner is not None else None
    )
    if runner is not None:
        runner.start()
    if policies is not None:
        policies.start()
    if deliveries is not None:
        deliveries.start()
    if tree_follower is not None:
        tree_follower.start()
    return Services(
        desk=desk,
        tokens=tokens,
        organisation=organisation,
        clock=clock,
        engine=engine,
        boards=boards,
        runner=runner,
        policies=policies,
        calendar=settings.calendar,
        read_models=read_models,
        log_tree=log_tree,
        tree_follower=tree_follower,
        notifications=notifications,
        deliveries=deliveries,
    )


def make_log_tree(settings: Settings, engine: Engine) -> LogTree:
    """The Merkle tree over the log, signing with the deployment's key (made on first start)."""
    tree = LogTree(engine, settings.log_origin, load_or_create_signing_key(settings.signing_key_path()))
    tree.create_tables()  # nothing to do once `incident migrate` has made them
    return tree


def make_policy_runner(
    desk: IncidentDesk,
    organisation: Organisation,
    settings: Settings,
    engine: Engine,
    leader: Leadership,
    notifications: NotificationSettings | None = None,
) -> PolicyRunner:
    """The policies, where the boards run (in the server on the embedded default, else in the worker),
    under the boards' leader lock: of all the workers on one database, the one projecting runs them.

    They start from their checkpoint beside the boards; even two of them on one log would record
    nothing twice (their command ids are deterministic). The thresholds in force reach them through
    the log (application/policies/thresholds_in_force.py).
    """
    policies = standard_policies(desk, organisation, PolicySettings())
    if notifications is not None and notifications.rules:
        # Last: it notifies what the others recorded about the same event (a raise, an overdue).
        policies.append(
            NotifierPolicy(
                desk,
                PolicySettings(),
                notifications.rules,
                organisation,
                base_url=notifications.board_url,
                max_age=notifications.max_age,
            )
        )
    return PolicyRunner(
        desk,
        policies,
        tick_seconds=settings.policy_tick_seconds,
        checkpoints=PolicyCheckpoints(engine),
        leader=leader,
    )


def notification_settings(settings: Settings, organisation: Organisation) -> NotificationSettings:
    """The notifications file's rules and channels, secrets from the process's environment."""
    return load_notifications(settings.notifications_file, os.environ, organisation)


def make_delivery_thread(
    desk: IncidentDesk, notifications: NotificationSettings, leader: LeaderLock, clock: Clock
) -> DeliveryThread | None:
    """The delivery worker, on its own thread under the boards' leader lock (None: no channel to send on)."""
    if not notifications.channels:
        return None
    return DeliveryThread(Deliveries(desk, sender(notifications.channels)), clock, leader)


def record_notifications(desk: IncidentDesk, notifications: NotificationSettings) -> None:
    """Put the notification settings read at start on the record, if they are new to it (no file: nothing)."""
    if notifications.path is not None:
        NotificationRulesDesk(desk).start_from_file(settings_lines(notifications), str(notifications.path))
