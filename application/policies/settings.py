"""The policies' thresholds in one frozen object: the "simple model with adjustable thresholds"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from domain.level import Level
from domain.risk_grading import RiskThresholds


@dataclass(frozen=True)
class PolicySettings:
    """Every threshold the policies use, with the defaults argued below; build it once, pass it in.

    The customer-surge threshold is not here: it is the playbook's (`domain.playbooks`), so that the
    board's checklist and the policy can never disagree about 二次分流.
    """

    # Complaint clock. The limit is 15 days (30 or 60 extended); three days' notice leaves the owner
    # time to decide, or to ask for an extension, whose second step needs a higher office's approval.
    deadline_warning_lead: timedelta = timedelta(days=3)

    # Passive waiting (被动等待). A complaint is worked over days: a whole day with nothing recorded
    # is waiting, while a night between two steps is not. An open emergency is a live scene whose
    # playbook asks for action "at once" (第一时间): half an hour with nothing posted means the scene
    # is unattended or unreported, and the office should look. A stood-down emergency is left out:
    # its scene is over and only the closing remains.
    complaint_idle_after: timedelta = timedelta(hours=24)
    emergency_idle_after: timedelta = timedelta(minutes=30)

    # Risk grading (舆情): the domain's rule, with its own thresholds and their arguments.
    risk: RiskThresholds = field(default_factory=RiskThresholds)

    # Customer surge: the level of the emergency the policy opens. One outlet's crowd is single and
    # isolated (单一性, blue, handled quietly); surges at several outlets of a sub-branch are raised
    # to orange by the risk grading, as any widespread incident is.
    surge_level: Level = Level.BLUE

    def __post_init__(self) -> None:
        for name in (
            "deadline_warning_lead",
            "complaint_idle_after",
            "emergency_idle_after",
        ):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be a positive duration")
