"""The policies' thresholds in one frozen object: the "simple model with adjustable thresholds"."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from domain.level import Level
from domain.playbooks import (
    SECOND_DIVERSION_WAIT_MINUTES,
    SECOND_DIVERSION_WAITING_CUSTOMERS,
    needs_second_diversion,
)
from domain.risk_grading import RiskThresholds
from domain.thresholds import ThresholdValues


@dataclass(frozen=True)
class PolicySettings:
    """Every threshold the policies use, with the defaults argued below.

    These are the starting point: the bank's thresholds in force (domain.thresholds, loaded from the
    settings file and changed by an admin) reach the policies through the log and replace the
    threshold fields (`with_values`); `surge_level` stays as built.
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

    # Customer surge: a reading calls for the second diversion (二次分流) at this many waiting and
    # this long a wait, both at once (seed 003: "客户等待时间10分钟以上、15人以上").
    surge_waiting_customers: int = SECOND_DIVERSION_WAITING_CUSTOMERS
    surge_wait_minutes: float = SECOND_DIVERSION_WAIT_MINUTES

    def __post_init__(self) -> None:
        for name in (
            "deadline_warning_lead",
            "complaint_idle_after",
            "emergency_idle_after",
        ):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be a positive duration")

    def with_values(self, values: ThresholdValues) -> PolicySettings:
        """These settings under the bank's thresholds in force."""
        return replace(
            self,
            deadline_warning_lead=timedelta(days=values.deadline_warning_days),
            complaint_idle_after=timedelta(hours=values.complaint_idle_hours),
            emergency_idle_after=timedelta(minutes=values.emergency_idle_minutes),
            risk=RiskThresholds(
                window=timedelta(hours=values.related_window_hours),
                related_complaints_for_yellow=values.related_complaints_for_yellow,
                related_outlets_for_orange=values.related_outlets_for_orange,
                red_when_outlets_at_least=values.red_when_outlets_at_least,
            ),
            surge_waiting_customers=values.surge_waiting_customers,
            surge_wait_minutes=values.surge_wait_minutes,
        )

    def calls_for_surge(self, waiting: int, longest_wait_minutes: float) -> bool:
        """True when a queue reading calls for the second diversion (二次分流) under these settings."""
        return needs_second_diversion(
            waiting=waiting,
            longest_wait_minutes=longest_wait_minutes,
            waiting_at_least=self.surge_waiting_customers,
            minutes_at_least=self.surge_wait_minutes,
        )

    @property
    def surge_threshold(self) -> tuple[str, str]:
        """The surge threshold as the reasons say it, in Chinese and English."""
        minutes = f"{self.surge_wait_minutes:g}"
        return (
            f"阈值: {self.surge_waiting_customers} 人以上且等候 {minutes} 分钟以上",
            f"threshold: {self.surge_waiting_customers} waiting and {minutes} min",
        )
