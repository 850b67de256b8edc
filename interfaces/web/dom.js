// Building DOM nodes from data. Text always goes in as text (never innerHTML): summaries are typed by people.

import { levelLabel, t } from "./i18n.js";

/** h("td", {class: "x", onclick: f}, child, "text", [more]) */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  return append(element, children);
}

// Children may be nested arrays, and null or false for "nothing here".
function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replace element's children, as h() would build them. */
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** The level as colour AND word: colour alone fails the colour-blind and a grey printout. */
export function levelBadge(code, label) {
  return h("span", { class: `level lv-${code}` }, label || levelLabel(code));
}

// Both marks carry both languages whatever the page's language: no one may miss them.
export const exerciseMark = () => h("span", { class: "mark exercise" }, t("exerciseWord"));
export const overdueMark = () => h("span", { class: "mark overdue" }, t("overdueWord"));

/** Fill every element marked data-t / data-t-aria with the current language's word. */
export function translateStatic(root = document) {
  for (const element of root.querySelectorAll("[data-t]")) element.textContent = t(element.dataset.t);
  for (const element of root.querySelectorAll("[data-t-aria]")) {
    element.setAttribute("aria-label", t(element.dataset.tAria));
  }
}

/** Give each body cell its column's heading as data-label: on a phone the rows become cards (board.css). */
export function labelCells(table) {
  const headings = [...table.tHead.rows[0].cells].map((cell) => cell.textContent);
  for (const row of table.tBodies[0].rows) {
    [...row.cells].forEach((cell, index) => cell.setAttribute("data-label", headings[index] ?? ""));
  }
}

/** A row of a list of incidents: Enter or Space opens it, the arrows move between rows (board and find page). */
export function rowKey(event, open) {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    open();
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const row = event.currentTarget;
    (event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling)?.focus();
  }
}
