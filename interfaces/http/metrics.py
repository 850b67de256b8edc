"""`GET /metrics`: the server in the Prometheus text format (prometheus-client), for whoever runs it.

Counted as they happen: requests by route and status with their latency, commands by name and
outcome with theirs. Read when scraped: the log's head, each board's and the policies' position and
lag behind it, whether this process leads, the Merkle tree's size, the feed's watchers and queues.
Each process answers for itself (several uvicorn workers are several targets); the positions are the
store's and agree across processes. No label holds an incident id, a token or a field's value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from application.errors import AccessDeniedError
from application.incident_desk import IncidentDesk
from domain.values import Role
from interfaces.http.auth import CurrentPrincipal
from interfaces.services import Services

# Seconds: a command takes milliseconds; a request waiting for a board or a store may take seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Who may read them: those who run the service or oversee it; they hold no incident's data.
READERS = frozenset({Role.ADMIN, Role.OFFICE, Role.AUDITOR})
UNMATCHED = "<unmatched>"  # a path no route matched: one label, so a scanner cannot grow the series

router = APIRouter(tags=["health"])


class Metrics:
    """One process's counters and histograms, and the collector that reads the rest at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "incident_http_requests",
            "HTTP requests answered, by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "incident_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "incident_commands",
            "Commands the desk ran, by command, the sender's role and outcome (recorded, replayed, "
            "refused with its code, failed).",
            ["command", "role", "outcome", "code"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "incident_command_duration_seconds",
            "Time a command took in the desk (load, rules, save), by outcome.",
            ["outcome"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._state: StateCollector | None = None

    def observe_request(self, method: str, route: str | None, status: int, seconds: float) -> None:
        label = route or UNMATCHED
        self.requests.labels(method, label, str(status)).inc()
        self.request_seconds.labels(method, label).observe(seconds)

    def observe_command(self, command: str, role: str, outcome: str, seconds: float) -> None:
        kind, _, code = outcome.partition(":")
        self.commands.labels(command, role, kind, code).inc()
        self.command_seconds.labels(kind).observe(seconds)

    def watch(self, services: Services, feed: Any) -> None:
        """Read the server's state at each scrape, and count the desk's commands from now on."""
        services.desk.command_observers.append(self.observe_command)
        if self._state is None:
            self._state = StateCollector(services, feed)
            self.registry.register(self._state)

    def text(self) -> bytes:
        return generate_latest(self.registry)


class StateCollector(Collector):
    """What is read when scraped, not counted: positions, lags, leadership, the feed's queues."""

    def __init__(self, services: Services, feed: Any) -> None:
        self._services = services
        self._feed = feed

    def collect(self) -> Iterator[GaugeMetricFamily]:
        services = self._services
        head = _head(services.desk)
        yield _gauge("incident_log_head_position", "The log's last position.", head)
        boards = services.boards.position()
        yield _gauge("incident_boards_position", "The last position every board has processed.", boards)
        yield _gauge(
            "incident_boards_lag_events", "Events the boards are behind the log.", max(0, head - boards)
        )
        if services.runner is not None:
            leads = 1 if services.runner.leader.held else 0
            yield _gauge("incident_boards_leader", "1 while this process projects the boards.", leads)
        if services.policies is not None:
            status = services.policies.status()
            position = int(status["position"])
            yield _gauge("incident_policies_position", "The last position every policy handled.", position)
            yield _gauge(
                "incident_policies_lag_events", "Events the policies are behind.", max(0, head - position)
            )
            yield _gauge(
                "incident_policies_passed_over",
                "Events the policies passed over (undecodable).",
                status["passed_over"],
            )
        if services.log_tree is not None:
            yield _gauge(
                "incident_log_tree_size", "Leaves in the Merkle tree over the log.", services.log_tree.size
            )
        depths = self._feed.hub.queue_depths() if self._feed is not None else []
        yield _gauge("incident_feed_watchers", "Feed connections open in this process.", len(depths))
        yield _gauge("incident_feed_queued_messages", "Messages waiting for all watchers.", sum(depths))
        yield _gauge(
            "incident_feed_longest_queue", "Messages waiting for the slowest watcher.", max(depths, default=0)
        )


def _head(desk: IncidentDesk) -> int:
    return int(desk.recorder.max_notification_id() or 0)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request, principal: CurrentPrincipal) -> Response:
    """The server's metrics in the Prometheus text format (an admin's, the office's or an auditor's token)."""
    if principal.role not in READERS:
        raise AccessDeniedError(f"token {principal.name!r} ({principal.role.value}) may not read the metrics")
    found: Metrics = request.app.state.metrics
    return Response(found.text(), media_type=CONTENT_TYPE_LATEST)
