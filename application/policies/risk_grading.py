"""Risk grading (舆情分级): raises related incidents by the domain's rule (domain.risk_grading).

The rule decides; this policy remembers. Its memory is ordered by when things happened: for each
outlet and relation the related complaints, for each sub-branch and branch and relation the related
incidents (all of them, and each outlet's own), and, per group, the members not yet raised to the
level the group raises to. Grading a report reads a few neighbours by bisection and raises only
members not raised before, so its cost does not grow with the storm: O(log n) per report, plus
O(log n) per incident raised.

The policy only raises: a level is never lowered, what the office set higher stays, and a level the
policy raised an incident to once is never forced on it again after the office lowered it. Drills are
left out. Times are occurred_at, so a replay decides exactly as before.

An office's lowering (a complaint's or an emergency's change_level) is read as the office's judgement
of the evidence the policy graded on: the policy grades only when a report arrives, so a lowering is
never answered by an immediate raise, and it never again raises that incident to a level it raised
it to before (each raise's command id names the level, so it could not be recorded twice anyway).
Only new evidence of a wider reach — a rule for a level the policy never raised it to, fired by a
later report — raises it again, at most once per level: no loop between office and policy. A raise by
a branch (raise_level) or by the office is the incident's level like any other; the policy raises
from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from sortedcontainers import SortedKeyList, SortedList

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from application.policies.base import Policy, decoded, encoded
from application.policies.settings import PolicySettings
from domain.complaint import Complaint
from domain.complaint_terms import Channel
from domain.emergency import Emergency
from domain.emergency_terms import EmergencyKind
from domain.level import Level
from domain.organisation import Organisation, UnitKind
from domain.risk_grading import Nearest, Span, media_floor, related_at_outlet, widespread

# How long a report is remembered after the newest one seen, beyond the window: reports that reach
# the log late (an offline branch syncing) still find their peers.
LATE_REPORTS_KEPT = timedelta(days=7)
PRUNE_EVERY = 1000
# Sort keys are (occurred_at, incident id as text); these bound every id of one moment.
LOWEST_ID, HIGHEST_ID = "", "~"
META = "~"  # the remembered entry of what is not one incident's (no incident id sorts after it)

Key = tuple[datetime, str]


@dataclass(eq=False)
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
    # The groups it belongs to, to put it back among the pending when the office lowers its level.
    groups: list[_Group] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return self.occurred_at, str(self.incident_id)

    def may_be_raised_to(self, level: Level) -> bool:
        return level.is_higher_than(self.level) and level not in self.raised_to

    def encoded(self) -> bytes:
        return encoded(
            [
                self.is_complaint,
                self.relation,
                self.label_zh,
                self.label_en,
                self.outlet,
                self.occurred_at.isoformat(),
                self.level.value,
                self.media,
                self.working,
                sorted(level.value for level in self.raised_to),
            ]
        )

    @classmethod
    def decoded(cls, incident_id: UUID, body: bytes) -> _Tracked:
        is_complaint, relation, label_zh, label_en, outlet, occurred_at, level, media, working, raised = (
            decoded(body)
        )
        return cls(
            incident_id,
            is_complaint,
            relation,
            label_zh,
            label_en,
            outlet,
            datetime.fromisoformat(occurred_at),
            Level(level),
            media,
            working,
            {Level(value) for value in raised},
        )


def _by_time(tracked: _Tracked) -> Key:
    return tracked.key


class _Group:
    """Related reports of one unit (an outlet, a sub-branch or a branch), ordered by occurred_at."""

    def __init__(self, raises_to: Level) -> None:
        self.raises_to = raises_to
        self.members: SortedKeyList[_Tracked, Key] = SortedKeyList(key=_by_time)
        self.by_outlet: dict[str, SortedList[datetime]] = {}
        # Members that may still be raised to `raises_to` (dropped, lazily, once they may not).
        self.pending: SortedKeyList[_Tracked, Key] = SortedKeyList(key=_by_time)

    def add(self, tracked: _Tracked) -> None:
        self.members.add(tracked)
        self.by_outlet.setdefault(tracked.outlet, SortedList()).add(tracked.occurred_at)
        self.pending.add(tracked)
        tracked.groups.append(self)

    def neighbours(self, tracked: _Tracked, each_side: int) -> list[datetime]:
        """The occurred_at of `tracked` and of up to `each_side` members either side of it."""
        place = self.members.index(tracked)
        start = max(0, place - each_side)
        return [m.occurred_at for m in self.members[start : place + each_side + 1]]

    def nearest(self, moment: datetime) -> dict[str, Nearest]:
        """Each outlet's member nearest at or before `moment`, and nearest after it."""
        found: dict[str, Nearest] = {}
        for outlet, times in self.by_outlet.items():
            place = times.bisect_right(moment)
            found[outlet] = Nearest(
                times[place - 1] if place > 0 else None, times[place] if place < len(times) else None
            )
        return found

    def count_within(self, start: datetime, window: timedelta) -> int:
        low = self.members.bisect_key_left((start, LOWEST_ID))
        high = self.members.bisect_key_right((start + window, HIGHEST_ID))
        return int(high - low)

    def take_pending(self, span: Span) -> list[_Tracked]:
        """The pending members in `span`; those that may no longer be raised leave the pending."""
        found = list(self.pending.irange_key((span.start, LOWEST_ID), (span.end, HIGHEST_ID)))
        chosen = []
        for member in found:
            if not member.may_be_raised_to(self.raises_to):
                self.pending.remove(member)
            elif member.working:
                chosen.append(member)
        return chosen

    def restore(self, tracked: _Tracked) -> None:
        """Pending again, if it may be raised again (its level was lowered)."""
        if tracked.may_be_raised_to(self.raises_to) and tracked not in self.pending:
            self.pending.add(tracked)

    def prune(self, horizon: datetime) -> None:
        for members in (self.members, self.pending):
            for old in list(members.irange_key(max_key=(horizon, LOWEST_ID), inclusive=(True, False))):
                members.remove(old)
        for outlet, times in list(self.by_outlet.items()):
            del times[: times.bisect_left(horizon)]
            if not times:
                del self.by_outlet[outlet]

    def __len__(self) -> int:
        return len(self.members)


Propose = Callable[[list[_Tracked], Level, str], None]


@dataclass
class _Target:
    level: Level
    reason: str


class RiskGradingPolicy(Policy):
    """Raises complaints (escalate) and emergencies (change_level) by the domain's risk-grading rule."""

    name = "risk-grading"
    title = "舆情分级 Risk grading"
    memory_version = 1

    def __init__(self, desk: IncidentDesk, settings: PolicySettings, organisation: Organisation) -> None:
        self.organisation = organisation
        super().__init__(desk, settings)

    def reset(self) -> None:
        self._tracked: dict[UUID, _Tracked] = {}
        self._by_time: SortedKeyList[_Tracked, Key] = SortedKeyList(key=_by_time)
        # By (outlet, relation): related complaints (关联性); by (sub-branch or branch, relation):
        # related incidents (广泛性, 全面性).
        self._at_outlet: dict[tuple[str, str], _Group] = {}
        self._under_unit: dict[tuple[str, str], _Group] = {}
        self._newest: datetime | None = None
        self._since_prune = 0
        self._changed: set[UUID] = set()
        self._meta_changed = False
        # Branch groups (全面性) are kept only while red is automatic: they cost every report a place.
        self._by_branch = False

    def remembered(self) -> dict[str, bytes | None]:
        changes: dict[str, bytes | None] = {}
        for incident_id in self._changed:
            tracked = self._tracked.get(incident_id)
            changes[str(incident_id)] = None if tracked is None else tracked.encoded()
        if self._meta_changed:
            newest = None if self._newest is None else self._newest.isoformat()
            changes[META] = encoded([newest, self._since_prune])
        self._changed.clear()
        self._meta_changed = False
        return changes

    def recall(self, key: str, body: bytes) -> None:
        if key == META:
            newest, self._since_prune = decoded(body)
            self._newest = None if newest is None else datetime.fromisoformat(newest)
            return
        tracked = _Tracked.decoded(UUID(key), body)
        self._tracked[tracked.incident_id] = tracked
        self._index(tracked)

    # -- learning from the log -------------------------------------------------------------

    def handle(self, logged: LoggedEvent) -> None:
        event = logged.event
        if isinstance(event, Complaint.Reported | Emergency.Reported):
            if not event.exercise:
                self._follow_red()  # before the new report is indexed: it joins the groups once
                self._grade(self._track(event))
            return
        tracked = self._tracked.get(event.originator_id)
        if tracked is None:
            return
        self._changed.add(tracked.incident_id)
        if isinstance(event, Complaint.Escalated | Complaint.LevelChanged | Emergency.LevelChanged):
            before = tracked.level
            tracked.level = event.level or tracked.level
            if event.level is not None and self.is_own(event):
                tracked.raised_to.add(event.level)
            if tracked.level.is_lower_than(before):
                # The office lowered it: it may be raised again to what the policy never raised it to.
                for group in tracked.groups:
                    group.restore(tracked)
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
        self._changed.add(tracked.incident_id)
        self._index(tracked)
        self._newest = max(self._newest or tracked.occurred_at, tracked.occurred_at)
        self._since_prune += 1
        self._meta_changed = True
        if self._since_prune >= PRUNE_EVERY:
            self._prune()
        return tracked

    def _index(self, tracked: _Tracked) -> None:
        self._by_time.add(tracked)
        if tracked.is_complaint:
            self._group(self._at_outlet, (tracked.outlet, tracked.relation), Level.YELLOW).add(tracked)
        sub_branch, branch = self._units_above(tracked.outlet)
        if sub_branch is not None:
            self._group(self._under_unit, (sub_branch, tracked.relation), Level.ORANGE).add(tracked)
        if branch is not None and self._by_branch:
            self._group(self._under_unit, (branch, tracked.relation), Level.RED).add(tracked)

    @staticmethod
    def _group(index: dict[tuple[str, str], _Group], key: tuple[str, str], level: Level) -> _Group:
        group = index.get(key)
        if group is None:
            group = index[key] = _Group(level)
        return group

    def _units_above(self, outlet: str) -> tuple[str | None, str | None]:
        """The outlet's sub-branch and branch codes; None for an outlet the organisation does not know."""
        unit = self.organisation.get(outlet)
        if unit is None or unit.kind is not UnitKind.OUTLET:
            return None, None
        above = {u.kind: u.code for u in self.organisation.ancestors(outlet)}
        return above.get(UnitKind.SUB_BRANCH), above.get(UnitKind.BRANCH)

    # -- the rules -------------------------------------------------------------------------

    def _follow_red(self) -> None:
        """Keep branch groups while red is automatic, built from every report remembered when it becomes so.

        An admin may make red automatic at any time (domain.thresholds): the reports already in the
        window then count, as they would had it been automatic all along.
        """
        wanted = self.settings.risk.red_when_outlets_at_least is not None
        if wanted == self._by_branch:
            return
        self._by_branch = wanted
        if wanted:
            for tracked in self._by_time:
                _, branch = self._units_above(tracked.outlet)
                if branch is not None:
                    self._group(self._under_unit, (branch, tracked.relation), Level.RED).add(tracked)
            return
        for key, group in list(self._under_unit.items()):
            if group.raises_to is Level.RED:
                del self._under_unit[key]
        for tracked in self._tracked.values():
            tracked.groups = [group for group in tracked.groups if group.raises_to is not Level.RED]

    def _grade(self, new: _Tracked) -> None:
        targets: dict[UUID, _Target] = {}

        def propose(members: list[_Tracked], level: Level, reason: str) -> None:
            for member in members:
                current = targets.get(member.incident_id)
                if current is None or level.is_higher_than(current.level):
                    targets[member.incident_id] = _Target(level, reason)

        if new.media:
            propose([new], *media_floor(new.is_complaint))
        if new.is_complaint:
            self._related_at_outlet(new, propose)
        self._widespread(new, propose)
        for incident_id, target in sorted(targets.items(), key=lambda item: self._tracked[item[0]].key):
            self._raise(self._tracked[incident_id], target)
        self._changed.update(targets)

    def _related_at_outlet(self, new: _Tracked, propose: Propose) -> None:
        risk = self.settings.risk
        group = self._at_outlet[(new.outlet, new.relation)]
        needed = risk.related_complaints_for_yellow
        span = related_at_outlet(new.occurred_at, group.neighbours(new, needed - 1), needed, risk.window)
        if span is None:
            return
        count = group.count_within(span.start, risk.window)
        reason = (
            f"关联性(黄色): {risk.hours}小时内网点 {new.outlet} 发生 {count} 起同类{new.label_zh}"
            f"（阈值: {risk.hours}小时内 {needed} 起） / "
            f"related (yellow): {count} related {new.label_en} at {new.outlet} within {risk.hours}h"
            f" (threshold: {needed} in {risk.hours}h)"
        )
        propose(group.take_pending(span), Level.YELLOW, reason)

    def _widespread(self, new: _Tracked, propose: Propose) -> None:
        risk = self.settings.risk
        sub_branch, branch = self._units_above(new.outlet)
        rules = [(sub_branch, risk.related_outlets_for_orange), (branch, risk.red_when_outlets_at_least)]
        for unit, needed in rules:
            if unit is None or needed is None:
                continue
            group = self._under_unit[(unit, new.relation)]
            found = widespread(
                new.occurred_at, new.outlet, group.nearest(new.occurred_at), needed, risk.window
            )
            if found is None:
                continue
            span, outlets = found
            reason = self._widespread_reason(new, unit, outlets, group.raises_to, needed)
            propose(group.take_pending(span), group.raises_to, reason)

    def _widespread_reason(
        self, new: _Tracked, unit: str, outlets: list[str], level: Level, needed: int
    ) -> str:
        listed, hours, count = ", ".join(outlets), self.settings.risk.hours, len(outlets)
        zh = f"（阈值: {hours}小时内 {needed} 个网点）"
        en = f" (threshold: {needed} outlets in {hours}h)"
        if level is Level.RED:
            return (
                f"全面性(红色): {hours}小时内分行 {unit} 的 {count} 个网点({listed})发生同类{new.label_zh}{zh} / "
                f"all-round (red): related {new.label_en} at {count} outlets of branch {unit} "
                f"({listed}) within {hours}h{en}"
            )
        return (
            f"广泛性(橙色): {hours}小时内支行 {unit} 的 {count} 个网点({listed})发生同类{new.label_zh}{zh} / "
            f"widespread (orange): related {new.label_en} at {count} outlets of sub-branch {unit} "
            f"({listed}) within {hours}h{en}"
        )

    # -- acting ----------------------------------------------------------------------------

    def _raise(self, tracked: _Tracked, target: _Target) -> None:
        if not tracked.working or not tracked.may_be_raised_to(target.level):
            return  # never lower, never repeat; a stood-down or closed incident is not re-graded
        command_id = f"policy:{self.name}:{target.level.value}:{tracked.incident_id}"
        if tracked.is_complaint:
            raising = Complaint.escalate(reason=target.reason, level=target.level)
            done = self.act(tracked.incident_id, raising, command_id)
        else:
            changing = Emergency.change_level(level=target.level, reason=target.reason)
            done = self.act(tracked.incident_id, changing, command_id)
        if done is not None:
            tracked.level = target.level
            tracked.raised_to.add(target.level)

    # -- upkeep ----------------------------------------------------------------------------

    def _prune(self) -> None:
        self._since_prune = 0
        if self._newest is None:
            return
        horizon = self._newest - self.settings.risk.window - LATE_REPORTS_KEPT
        for old in list(self._by_time.irange_key(max_key=(horizon, LOWEST_ID), inclusive=(True, False))):
            self._by_time.remove(old)
            del self._tracked[old.incident_id]
            self._changed.add(old.incident_id)
        for index in (self._at_outlet, self._under_unit):
            for key, group in list(index.items()):
                group.prune(horizon)
                if not group:
                    del index[key]
