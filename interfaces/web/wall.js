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

const worst = (unit) => levelBadge(unit.worst_level);

// A drill lights the wall like the real thing: say so, and hatch a unit lit by drills alone.
// Where real incidents and drills mix, the note says how many are drills, so the colour is not doubted.
function drillMark(drills) {
  if (!drills || !drills.drills) return null;
  return drills.real ? h("span", { class: "mark drill-note" }, t("includesDrills")(drills.drills)) : exerciseMark();
}

function drillOnly(drills) {
  return Boolean(drills && drills.drills && !drills.real);
}

function tile(unit, drills, selected, onPick) {
  // An outlet with nothing open shows its name only: the eye should land on the coloured ones.
  const open = unit.open ? h("span", { class: "tile-level" }, worst(unit), ` ${t("openCount")(unit.open)}`) : null;
  const colour = unit.worst_level ? `lv-${unit.worst_level}` : "lv-none";
  return h(
    "button",
    {
      type: "button",
      class: `tile ${colour}${drillOnly(drills) ? " drill-only" : ""}`,
      "data-unit": unit.code,
      "aria-pressed": String(selected === unit.code),
      title: `${pick(unit)} (${unit.code})`,
      onclick: () => onPick(unit.code),
    },
    h("span", { class: "tile-name" }, pick(unit)),
    open,
    drillMark(drills),
  );
}

function group(unit, children, drills, selected, onPick, depth) {
  const below = children.get(unit.code) || [];
  const outletsOnly = below.every((child) => child.kind === "outlet");
  return h(
    "section",
    { class: `wall-group depth-${depth}`, "data-unit": unit.code },
    h(
      "button",
      { type: "button", class: "group-head", "aria-pressed": String(selected === unit.code), onclick: () => onPick(unit.code) },
      h("span", { class: "group-name" }, pick(unit)),
      unit.open ? [worst(unit), h("span", { class: "muted" }, t("openCount")(unit.open))] : null,
      drillMark(drills.get(unit.code)),
    ),
    h(
      "div",
      { class: outletsOnly ? "tiles" : "groups" },
      below.map((child) => node(child, children, drills, selected, onPick, depth + 1)),
    ),
  );
}

function node(unit, children, drills, selected, onPick, depth) {
  if (unit.kind === "outlet") return tile(unit, drills.get(unit.code), selected, onPick);
  return group(unit, children, drills, selected, onPick, depth);
}

/** Render the wall's units (in the API's tree order) into `container`; `drills` maps unit code to counts. */
export function renderWall(container, units, drills, selected, onPick) {
  const codes = new Set(units.map((unit) => unit.code));
  const children = childrenOf(units);
  const roots = units.filter((unit) => !codes.has(unit.parent));
  fill(container, ...roots.map((root) => node(root, children, drills, selected, onPick, 0)));
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
