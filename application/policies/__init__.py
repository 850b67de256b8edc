"""Policies: they watch the incident log and record events, idempotently (replaying records nothing twice)."""

from __future__ import annotations

from application.incident_desk import IncidentDesk
from application.policies.base import Policy
from application.policies.complaint_clock import ComplaintClockPolicy
from application.policies.customer_surge import CustomerSurgePolicy
from application.policies.passive_waiting import PassiveWaitingPolicy
from application.policies.risk_grading import RiskGradingPolicy
from application.policies.runner import DEFAULT_TICK_SECONDS, PolicyRunner
from application.policies.settings import PolicySettings
from domain.organisation import Organisation


def standard_policies(
    desk: IncidentDesk, organisation: Organisation, settings: PolicySettings | None = None
) -> list[Policy]:
    """Every policy of the product, sharing one set of thresholds."""
    settings = settings or PolicySettings()
    return [
        ComplaintClockPolicy(desk, settings),
        PassiveWaitingPolicy(desk, settings),
        RiskGradingPolicy(desk, settings, organisation),
        CustomerSurgePolicy(desk, settings),
    ]


__all__ = [
    "DEFAULT_TICK_SECONDS",
    "ComplaintClockPolicy",
    "CustomerSurgePolicy",
    "PassiveWaitingPolicy",
    "Policy",
    "PolicyRunner",
    "PolicySettings",
    "RiskGradingPolicy",
    "standard_policies",
]
