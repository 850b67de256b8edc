"""The bank's organisation tree (总行 → 分行 → 支行 → 网点) and the "unit X and all below it" queries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import InvalidInputError
from domain.labelled import Labelled
from domain.texts import readable_text

_CODE = re.compile(r"[A-Z0-9-]{1,32}")


class UnitKind(Labelled):
    """A level of the tree, from the head office down to the outlet customers walk into."""

    # Declared top-down: the member order is the tree's order, so each kind's parent kind is the one before.
    HEAD_OFFICE = "head_office", "总行", "Head office"
    BRANCH = "branch", "分行", "Branch"
    SUB_BRANCH = "sub_branch", "支行", "Sub-branch"
    OUTLET = "outlet", "网点", "Outlet"

    @property
    def parent_kind(self) -> UnitKind | None:
        """The kind a unit of this kind sits directly under; None for the head office."""
        kinds = list(UnitKind)
        index = kinds.index(self)
        return kinds[index - 1] if index else None


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of the tree; `code` is its stable id ("BJ-HD-03"), `parent` its parent's code."""

    code: str
    kind: UnitKind
    name_zh: str
    name_en: str
    parent: str | None

    def label(self, language: str = "zh") -> str:
        """The unit's name in "zh" or "en"."""
        return self.name_en if language == "en" else self.name_zh


class OrganisationError(InvalidInputError):
    """The units do not form a valid tree; `unit` names the offending unit when there is one."""

    code = "invalid_organisation"

    def __init__(self, message: str, *, unit: str | None = None) -> None:
        super().__init__(message, field="units")
        self.unit = unit


class UnknownUnitError(InvalidInputError):
    """No unit of the organisation has this code."""

    code = "unknown_unit"

    def __init__(self, unit: str) -> None:
        super().__init__(f"no unit with code {unit!r} in the organisation", field="unit")
        self.unit = unit


class Organisation:
    """The whole tree, checked once when built; every query afterwards is a dictionary look-up."""

    __slots__ = ("_by_code", "_children", "_order", "_outlets_under", "_path", "_root", "_subtree")

    def __init__(self, units: Iterable[Unit]) -> None:
        by_code = _index(units)
        root = _check_tree(by_code)
        children: dict[str, list[Unit]] = {code: [] for code in by_code}
        for unit in sorted(by_code.values(), key=lambda unit: unit.code):
            if unit.parent is not None:
                children[unit.parent].append(unit)
        self._by_code = by_code
        self._root = root
        self._children = {code: tuple(kids) for code, kids in children.items()}
        self._order = _depth_first(root, self._children)
        # Walking the tree top-down means a parent's path is always ready before its children need it.
        self._path: dict[str, tuple[Unit, ...]] = {}
        for unit in self._order:
            above = self._path[unit.parent] if unit.parent is not None else ()
            self._path[unit.code] = (*above, unit)
        self._subtree = _subtrees(self._order, self._path)
        self._outlets_under = {
            code: tuple(unit for unit in self._order_by_code(members) if unit.kind is UnitKind.OUTLET)
            for code, members in self._subtree.items()
        }

    def __repr__(self) -> str:
        return f"Organisation(root={self._root.code!r}, units={len(self._by_code)})"

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def root(self) -> Unit:
        """The head office."""
        return self._root

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every unit, depth first from the head office, siblings by code: the order of a tree picker."""
        return self._order

    @property
    def outlets(self) -> tuple[Unit, ...]:
        """Every outlet, by code."""
        return self._outlets_under[self._root.code]

    def unit(self, code: str) -> Unit:
        """The unit with this code; raises UnknownUnitError when there is none."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownUnitError(code) from None

    def get(self, code: str) -> Unit | None:
        """The unit with this code, or None."""
        return self._by_code.get(code)

    def children(self, code: str) -> list[Unit]:
        """The units directly under this one, by code."""
        return list(self._children[self.unit(code).code])

    def ancestors(self, code: str) -> list[Unit]:
        """The units above this one, head office first, without the unit itself."""
        return list(self._path[self.unit(code).code][:-1])

    def path(self, code: str) -> list[Unit]:
        """The units from the head office down to and including this one."""
        return list(self._path[self.unit(code).code])

    def subtree(self, code: str) -> frozenset[str]:
        """The codes of this unit and of every unit below it."""
        return self._subtree[self.unit(code).code]

    def contains(self, ancestor_code: str, code: str) -> bool:
        """True when `code` is `ancestor_code` or lies below it: "unit X and all below it"."""
        return self.unit(code).code in self.subtree(ancestor_code)

    def outlets_under(self, code: str) -> list[Unit]:
        """The outlets in this unit's subtree (the unit itself if it is an outlet), by code."""
        return list(self._outlets_under[self.unit(code).code])

    def _order_by_code(self, codes: Iterable[str]) -> list[Unit]:
        return [self._by_code[code] for code in sorted(codes)]


def _index(units: Iterable[Unit]) -> dict[str, Unit]:
    by_code: dict[str, Unit] = {}
    for unit in units:
        if not _CODE.fullmatch(unit.code):
            raise OrganisationError(
                f"unit code {unit.code!r} is not 1 to 32 of A-Z, 0-9 and '-'", unit=unit.code
            )
        if not unit.name_zh.strip() or not unit.name_en.strip():
            raise OrganisationError(
                f"unit {unit.code} needs both a Chinese and an English name", unit=unit.code
            )
        for name in (unit.name_zh, unit.name_en):
            try:
                readable_text(name, "name")
            except InvalidInputError as error:
                raise OrganisationError(f"unit {unit.code}: {error.message}", unit=unit.code) from None
        if unit.code in by_code:
            raise OrganisationError(f"unit code {unit.code} is used twice", unit=unit.code)
        by_code[unit.code] = unit
    return by_code


def _check_tree(by_code: dict[str, Unit]) -> Unit:
    """Check the links between units and return the head office."""
    for unit in by_code.values():
        if unit.parent is not None and unit.parent not in by_code:
            raise OrganisationError(f"unit {unit.code} has unknown parent {unit.parent}", unit=unit.code)
    root = _single_root(by_code)
    _refuse_cycles(by_code)
    for unit in by_code.values():
        expected = unit.kind.parent_kind
        if expected is None or unit.parent is None:  # only the head office, as _single_root made sure
            continue
        parent = by_code[unit.parent]
        if parent.kind is not expected:
            raise OrganisationError(
                f"{unit.kind.en.lower()} {unit.code} must sit directly under a {expected.en.lower()},"
                f" not under {parent.kind.en.lower()} {parent.code}",
                unit=unit.code,
            )
    return root


def _single_root(by_code: dict[str, Unit]) -> Unit:
    head_offices = [unit for unit in by_code.values() if unit.kind is UnitKind.HEAD_OFFICE]
    if not head_offices:
        raise OrganisationError("the organisation has no head office")
    if len(head_offices) > 1:
        codes = ", ".join(unit.code for unit in head_offices)
        raise OrganisationError(
            f"the organisation has more than one head office: {codes}", unit=head_offices[1].code
        )
    root = head_offices[0]
    if root.parent is not None:
        raise OrganisationError(f"head office {root.code} cannot have a parent", unit=root.code)
    for unit in by_code.values():
        if unit is not root and unit.parent is None:
            raise OrganisationError(f"{unit.kind.en.lower()} {unit.code} has no parent", unit=unit.code)
    return root


def _refuse_cycles(by_code: dict[str, Unit]) -> None:
    # Checked before the kinds so that a loop is reported as a loop, not as a unit under the wrong kind.
    reaches_root: set[str] = set()
    for start in sorted(by_code):
        trail: list[str] = []
        code: str | None = start
        while code is not None and code not in reaches_root:
            if code in trail:
                loop = trail[trail.index(code) :]
                raise OrganisationError(
                    f"unit {min(loop)} is its own ancestor: {' → '.join([*loop, code])}", unit=min(loop)
                )
            trail.append(code)
            code = by_code[code].parent
        reaches_root.update(trail)


def _depth_first(root: Unit, children: dict[str, tuple[Unit, ...]]) -> tuple[Unit, ...]:
    order: list[Unit] = []
    stack = [root]
    while stack:
        unit = stack.pop()
        order.append(unit)
        stack.extend(reversed(children[unit.code]))
    return tuple(order)


def _subtrees(order: tuple[Unit, ...], paths: dict[str, tuple[Unit, ...]]) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {unit.code: set() for unit in order}
    for unit in order:
        for above in paths[unit.code]:
            members[above.code].add(unit.code)
    return {code: frozenset(codes) for code, codes in members.items()}
