"""Risk grading (舆情分级): raise the warning level when related incidents cluster, or the media are in it.

The seeds' "simple model with thresholds that can be adjusted", in PolicySettings:

    关联性 yellow   related complaints (one category) at one outlet, N within the window
    广泛性 orange   related incidents (one complaint category, or one emergency kind) at N distinct
                    outlets of one sub-branch within the window: each of them
    舆情   orange   a complaint through the media, or a media-report emergency, at once
    全面性 red      only when the office sets `red_when_outlets_at_least`: related incidents at that many
                    outlets of one branch (分行) within the window

The policy only raises: a level is never lowered, and what the office set higher stays. Drills are
left out. Times are when things happened at the branches, so a replay decides exactly as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from application.policies.base import Policy
from application.policies.settings import PolicySettings
from domain.complaint import Complaint
from domain.complaint_terms import Channel
from domain.emergency import Emergency
from domain.emergency_terms import EmergencyKind
from domain.level import Level
from domain.organisation import Organisation, UnitKind

# How long a report is remembered after the newest one seen, beyond the window: reports that reach
# the log late (an offline branch syncing) still find their peers.
LATE_REPORTS_KEPT = timedelta(days=7)
PRUNE_EVERY = 1000


@dataclass
class _Tracked:
    """What the grading needs of one reported incident."""

    incident_id: UUID
    is_complaint: bool
    relation: str
    label_zh: str
    label_en: str
    outlet: str
    occurred_at: datetime
    level: Level
    media: bool
    working: bool = True
    # The levels this policy raised it to: each at most once, so an office that lowers the level
    # afterwards is not overruled by the next related report.
    raised_to: set[Level] = field(default_factory=set)


@dataclass
class _Target:
    level: Level
    reason: str


@dataclass
class _Raises:
    """The highest level each incident should have after one report, with the rule that says so."""

    targets: dict[UUID, _Target] = field(default_factory=dict)

    def propose(self, tracked: _Tracked, level: Level, reason: str) -> None:
        current = self.targets.get(tracked.incident_id)
        if current is None or level.is_higher_than(current.level):
            self.targets[tracked.incident_id] = _Target(level, reason)


class RiskGradingPolicy(Policy):
    """Raises complaints (escalate) and emergencies (change_level) by the thresholds of PolicySettings."""

    name = "risk-grading"
    title = "舆情分级 Risk grading"

    def __init__(self, desk: IncidentDesk, settings: PolicySettings, organisation: Organisation) -> None:
        self.organisation = organisation
        super().__init__(desk, settings)

    def reset(self) -> None:
        self._tracked: dict[UUID, _Tracked] = {}
        # Related reports by (outlet code, relation) and by (sub-branch or branch code, relation).
        self._at_outlet: defaultdict[tuple[str, str], list[_Tracked]] = defaultdict(list)
        self._under_unit: defaultdict[tuple[str, str], list[_Tracked]] = defaultdict(list)
        self._newest: datetime | None = None
        self._since_prune = 0

    # -- learning from the log -------------------------------------------------------------

    def handle(self, logged: LoggedEvent) -> None:
        event = logged.event
        if isinstance(event, Complaint.Reported | Emergency.Reported):
            if not event.exercise:
                self._grade(self._track(event))
            return
        tracked = self._tracked.get(event.originator_id)
        if tracked is None:
            return
        if isinstance(event, Complaint.Escalated | Emergency.LevelChanged):
            tracked.level = event.level or tracked.level
            if event.level is not None and self.is_own(event):
                tracked.raised_to.add(event.level)
        elif isinstance(event, Emergency.StoodDown | Complaint.Closed | Emergency.Closed):
            tracked.working = False
        elif isinstance(event, Complaint.Reopened | Emergency.Reopened):
            tracked.working = True

    def _track(self, event: Complaint.Reported | Emergency.Reported) -> _Tracked:
        if isinstance(event, Complaint.Reported):
            relation = f"complaint:{event.category.value}"
            label_zh, label_en = f"{event.category.zh}投诉", f"{event.category.value} complaints"
            media = event.channel is Channel.MEDIA
        else:
            relation = f"emergency:{event.kind.value}"
            label_zh, label_en = event.kind.zh, f"{event.kind.value} emergencies"
            media = event.kind is EmergencyKind.MEDIA_REPORT
        tracked = _Tracked(
            incident_id=event.originator_id,
            is_complaint=isinstance(event, Complaint.Reported),
            relation=relation,
            label_zh=label_zh,
            label_en=label_en,
            outlet=event.outlet,
            occurred_at=event.occurred_at,
            level=event.level,
            media=media,
        )
        self._tracked[tracked.incident_id] = tracked
        if tracked.is_complaint:
            self._at_outlet[(tracked.outlet, relation)].append(tracked)
        for unit in self._units_above(tracked.outlet):
            if unit is not None:
                self._under_unit[(unit, relation)].append(tracked)
        self._newest = max(self._newest or tracked.occurred_at, tracked.occurred_at)
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY:
            self._prune()
        return tracked

    def _units_above(self, outlet: str) -> tuple[str | None, str | None]:
        """The outlet's sub-branch and branch codes; None for an outlet the organisation does not know."""
        unit = self.organisation.get(outlet)
        if unit is None or unit.kind is not UnitKind.OUTLET:
            return None, None
        above = {u.kind: u.code for u in self.organisation.ancestors(outlet)}
        return above.get(UnitKind.SUB_BRANCH), above.get(UnitKind.BRANCH)

    # -- the rules -------------------------------------------------------------------------

    def _grade(self, new: _Tracked) -> None:
        raises = _Raises()
        if new.media:
            raises.propose(new, Level.ORANGE, self._media_reason(new))
        if new.is_complaint:
            self._related_at_outlet(new, raises)
        self._widespread(new, raises)
        for incident_id, target in sorted(raises.targets.items(), key=lambda item: self._order(item[0])):
            self._raise(self._tracked[incident_id], target)

    def _media_reason(self, new: _Tracked) -> str:
        if new.is_complaint:
            return "舆情(橙色): 媒体投诉至少为橙色 / public opinion (orange): a complaint through the media is at least orange"
        return (
            "舆情(橙色): 重大、失实媒体报道至少为橙色 / "
            "public opinion (orange): a media-report emergency is at least orange"
        )

    def _related_at_outlet(self, new: _Tracked, raises: _Raises) -> None:
        threshold = self.settings.related_complaints_for_yellow
        group = self._at_outlet[(new.outlet, new.relation)]
        members = self._cluster(group, new, score=len)
        if len(members) < threshold:
            return
        reason = (
            f"关联性(黄色): {self._hours()}小时内网点 {new.outlet} 发生 {len(members)} 起同类{new.label_zh} / "
            f"related (yellow): {len(members)} related {new.label_en} at {new.outlet} "
            f"within {self._hours()}h"
        )
        for member in members:
            raises.propose(member, Level.YELLOW, reason)

    def _widespread(self, new: _Tracked, raises: _Raises) -> None:
        sub_branch, branch = self._units_above(new.outlet)
        rules: list[tuple[str | None, int | None, Level]] = [
            (sub_branch, self.settings.related_outlets_for_orange, Level.ORANGE),
            (branch, self.settings.red_when_outlets_at_least, Level.RED),
        ]
        for unit, threshold, level in rules:
            if unit is None or threshold is None:
                continue
            members = self._cluster(self._under_unit[(unit, new.relation)], new, score=_outlet_count)
            outlets = sorted({m.outlet for m in members})
            if len(outlets) < threshold:
                continue
            reason = self._widespread_reason(new, unit, outlets, level)
            for member in members:
                raises.propose(member, level, reason)

    def _widespread_reason(self, new: _Tracked, unit: str, outlets: list[str], level: Level) -> str:
        listed = ", ".join(outlets)
        hours = self._hours()
        if level is Level.RED:
            return (
                f"全面性(红色): {hours}小时内分行 {unit} 的 {len(outlets)} 个网点({listed})发生同类{new.label_zh} / "
                f"all-round (red): related {new.label_en} at {len(outlets)} outlets of branch {unit} "
                f"({listed}) within {hours}h"
            )
        return (
            f"广泛性(橙色): {hours}小时内支行 {unit} 的 {len(outlets)} 个网点({listed})发生同类{new.label_zh} / "
            f"widespread (orange): related {new.label_en} at {len(outlets)} outlets of sub-branch {unit} "
            f"({listed}) within {hours}h"
        )

    def _cluster(
        self, group: Sequence[_Tracked], new: _Tracked, score: Callable[[list[_Tracked]], int]
    ) -> list[_Tracked]:
        """The members of the best window of `related_window` that holds `new` (the highest score)."""
        window = self.settings.related_window
        near = sorted(
            (m for m in group if abs(m.occurred_at - new.occurred_at) <= window),
            key=lambda m: (m.occurred_at, str(m.incident_id)),
        )
        best: list[_Tracked] = [new]
        for start in near:
            if start.occurred_at > new.occurred_at:
                break
            members = [m for m in near if start.occurred_at <= m.occurred_at <= start.occurred_at + window]
            if score(members) > score(best):
                best = members
        return best

    # -- acting ----------------------------------------------------------------------------

    def _raise(self, tracked: _Tracked, target: _Target) -> None:
        if (
            not tracked.working
            or not target.level.is_higher_than(tracked.level)
            or target.level in tracked.raised_to
        ):
            return  # never lower, never repeat; a stood-down or closed incident is not re-graded
        command_id = f"policy:{self.name}:{target.level.value}:{tracked.incident_id}"
        if tracked.is_complaint:
            done = self.act(
                tracked.incident_id,
                "escalate",
                {"reason": target.reason, "level": target.level},
                command_id,
            )
        else:
            done = self.act(
                tracked.incident_id,
                "change_level",
                {"level": target.level, "reason": target.reason},
                command_id,
            )
        if done is not None:
            tracked.level = target.level
            tracked.raised_to.add(target.level)

    # -- upkeep ----------------------------------------------------------------------------

    def _order(self, incident_id: UUID) -> tuple[datetime, str]:
        tracked = self._tracked[incident_id]
        return tracked.occurred_at, str(incident_id)

    def _hours(self) -> str:
        return f"{self.settings.related_window / timedelta(hours=1):g}"

    def _prune(self) -> None:
        self._since_prune = 0
        if self._newest is None:
            return
        horizon = self._newest - self.settings.related_window - LATE_REPORTS_KEPT
        self._tracked = {k: t for k, t in self._tracked.items() if t.occurred_at >= horizon}
        for index in (self._at_outlet, self._under_unit):
            for key in list(index):
                kept = [t for t in index[key] if t.occurred_at >= horizon]
                if kept:
                    index[key] = kept
                else:
                    del index[key]


def _outlet_count(members: list[_Tracked]) -> int:
    return len({m.outlet for m in members})
