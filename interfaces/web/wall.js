// The branch wall: the unit tree, every node coloured by its worst open level; a click filters the board.

import { exerciseMark, fill, h, levelBadge } from "./dom.js";
import { pick, t } from "./i18n.js";

function childrenOf(units) {
  const children = new Map();
  for (const unit of units) {
    if (!children.has(unit.parent)) children.set(unit.parent, []);
    children.get(unit.parent).push(unit);
  }
  return children;
}

// The API counts real incidents and drills apart (`exercises`). A drill still lights the wall, so that
// a drill is practised on the real board: say so, and hatch a unit lit by drills alone. Where real
// incidents and drills mix, the colour is the real incidents' and the note says how many are drills.
const drillsOf = (unit) => unit.exercises?.open ?? 0;
const drillOnly = (unit) => drillsOf(unit) > 0 && !unit.open;
const shownLevel = (unit) => (drillOnly(unit) ? unit.exercises.worst_level : unit.worst_level);
const openShown = (unit) => unit.open + drillsOf(unit);
const worst = (unit) => levelBadge(shownLevel(unit));

function drillMark(unit) {
  if (!drillsOf(unit)) return null;
  return unit.open ? h("span", { class: "mark drill-note" }, t("includesDrills")(drillsOf(unit))) : exerciseMark();
}

function tile(unit, selected, onPick) {
  // An outlet with nothing open shows its name only: the eye should land on the coloured ones.
  const open = openShown(unit) ? h("span", { class: "tile-level" }, worst(unit), ` ${t("openCount")(openShown(unit))}`) : null;
  const colour = shownLevel(unit) ? `lv-${shownLevel(unit)}` : "lv-none";
  return h(
    "button",
    {
      type: "button",
      class: `tile ${colour}${drillOnly(unit) ? " drill-only" : ""}`,
      "data-unit": unit.code,
      "aria-pressed": String(selected === unit.code),
      title: `${pick(unit)} (${unit.code})`,
      onclick: () => onPick(unit.code),
    },
    h("span", { class: "tile-name" }, pick(unit)),
    open,
    drillMark(unit),
  );
}

function group(unit, children, selected, onPick, depth) {
  const below = children.get(unit.code) || [];
  const outletsOnly = below.every((child) => child.kind === "outlet");
  return h(
    "section",
    { class: `wall-group depth-${depth}`, "data-unit": unit.code },
    h(
      "button",
      { type: "button", class: "group-head", "aria-pressed": String(selected === unit.code), onclick: () => onPick(unit.code) },
      h("span", { class: "group-name" }, pick(unit)),
      openShown(unit) ? [worst(unit), h("span", { class: "muted" }, t("openCount")(openShown(unit)))] : null,
      drillMark(unit),
    ),
    h(
      "div",
      { class: outletsOnly ? "tiles" : "groups" },
      below.map((child) => node(child, children, selected, onPick, depth + 1)),
    ),
  );
}

function node(unit, children, selected, onPick, depth) {
  if (unit.kind === "outlet") return tile(unit, selected, onPick);
  return group(unit, children, selected, onPick, depth);
}

/** Render the wall's units (in the API's tree order) into `container`. */
export function renderWall(container, units, selected, onPick) {
  const codes = new Set(units.map((unit) => unit.code));
  const children = childrenOf(units);
  const roots = units.filter((unit) => !codes.has(unit.parent));
  fill(container, ...roots.map((root) => node(root, children, selected, onPick, 0)));
}

/** Options for the unit filter: the same tree, indented, so a person can find their sub-branch. */
export function unitOptions(units) {
  const depth = new Map();
  return units.map((unit) => {
    const level = unit.parent && depth.has(unit.parent) ? depth.get(unit.parent) + 1 : 0;
    depth.set(unit.code, level);
    return { code: unit.code, label: `${"\u3000".repeat(level)}${pick(unit)} (${unit.code})` };
  });
}
