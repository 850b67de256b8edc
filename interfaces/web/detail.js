// The detail view of one incident: where it stands, what is next, the playbook, and its timeline.

import { exerciseMark, fill, h, levelBadge, overdueMark } from "./dom.js";
import { clock, eventLabel, fieldLabel, levelLabel, pick, roleLabel, t, untilText, valueLabel } from "./i18n.js";

const LEVEL_FIELDS = new Set(["level", "previous"]);
const ACTION_FIELDS = new Set(["action", "completes", "waived_actions"]);
const CODE_FIELDS = new Set(["outlet", "kind", "category"]);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A person on an event (an actor, an approver, whom a handover came from): name, role, post, unit. */
export function personText(person, unitName = (code) => code) {
  const post = person.position ? valueLabel("position", person.position) || person.position : null;
  return [person.name || person.id, roleLabel(person.role), post, unitName(person.unit)].filter(Boolean).join(" · ");
}

/** Words for the codes an incident's events carry, from the incident's own labels. */
export function codeNames(incident) {
  const names = new Map();
  for (const action of [...incident.open_actions, ...incident.done_actions]) names.set(action.code, pick(action));
  for (const unit of incident.outlet_path) names.set(unit.code, pick(unit));
  if (incident.kind) names.set(incident.kind.code, pick(incident.kind));
  return names;
}

/** One value of an event's data, in words where the page knows them. */
function value(name, raw, names) {
  if (typeof raw === "boolean") return raw ? t("yes") : t("no");
  if (LEVEL_FIELDS.has(name)) return levelBadge(raw, levelLabel(raw));
  if (ACTION_FIELDS.has(name)) return [raw].flat().map((code) => names.get(code) || code).join(t("comma"));
  if (CODE_FIELDS.has(name) && names.has(raw)) return names.get(raw);
  if (typeof raw === "string" && valueLabel(name, raw)) return valueLabel(name, raw); // an authority, an audience…
  if (typeof raw === "string" && ISO_TIME.test(raw)) return clock(raw);
  if (Array.isArray(raw)) return raw.join(", ");
  // A person with a token (an approver, whom a handover came from): shown as the timeline shows an actor.
  if (raw && typeof raw === "object" && "role" in raw) return personText(raw);
  if (raw && typeof raw === "object") return Object.entries(raw).map(([key, part]) => `${fieldLabel(key)}${t("colon")}${part}`).join(t("comma"));
  return String(raw);
}

/** An event's data as a list of field names and values in words (`names`: the incident's own codes). */
export function eventData(data, names = new Map()) {
  const shown = Object.entries(data || {}).filter(([, raw]) => raw !== null && raw !== "" && !(Array.isArray(raw) && !raw.length));
  if (!shown.length) return null;
  return h("dl", { class: "event-data" }, shown.map(([name, raw]) => [h("dt", {}, fieldLabel(name)), h("dd", {}, value(name, raw, names))]));
}

// Both languages whatever the page's language, like the overdue mark: an auditor must not miss it.
const lateMark = (event) => h("span", { class: "mark late", title: `${t("recordedAt")}${t("colon")}${clock(event.recorded_at)}` }, t("lateWord"));

/** The corrections of a timeline, by the version they correct (nothing stored is edited). */
function correctionsOf(events) {
  const found = new Map();
  for (const event of events) {
    if (event.event !== "EntryCorrected") continue;
    const target = event.data.corrects_version;
    found.set(target, [...(found.get(target) || []), event]);
  }
  return found;
}

function correctionNote(correction) {
  const { correction: text, reason } = correction.data;
  return h("p", { class: "correction", "data-version": correction.version }, t("correctedIn")(correction.version), t("colon"), text, t("aside")(reason));
}

function timelineEntry(event, names, corrections, eventsByVersion, unitName) {
  const target = event.event === "EntryCorrected" ? eventsByVersion.get(event.data.corrects_version) : null;
  return h(
    "li",
    { "data-position": event.position, "data-version": event.version, class: event.late ? "late" : null },
    h("time", { datetime: event.occurred_at }, clock(event.occurred_at)),
    h("strong", { class: "event-name" }, eventLabel(event.event)),
    event.late ? [lateMark(event), " "] : null,
    h("span", { class: "muted" }, personText({ name: event.actor_name, id: event.actor_id, role: event.actor_role, position: event.actor_position, unit: event.actor_unit }, unitName)),
    target ? h("p", { class: "corrects" }, t("corrects")(target.version, eventLabel(target.event))) : null,
    eventData(event.data, names),
    (corrections.get(event.version) || []).map(correctionNote),
  );
}

function actionItem(action, onTick) {
  const post = action.by_position ? h("span", { class: "muted" }, t("aside")(pick(action.by_position))) : null;
  const tick = onTick ? h("button", { type: "button", class: "plain tick", onclick: () => onTick(action.code) }, t("tick")) : null;
  return h("li", { "data-code": action.code }, pick(action), post, tick ? [" ", tick] : null);
}

function actionList(actions, done, onTick = null) {
  if (!actions.length) return h("p", { class: "muted" }, t("noActions"));
  return h("ul", { class: `actions ${done ? "done" : "open"}` }, actions.map((action) => actionItem(action, onTick)));
}

function playbook(incident, onTick) {
  const done = incident.done_actions;
  return [
    h("h3", {}, `${t("openActions")} (${incident.open_actions.length})`),
    actionList(incident.open_actions, false, onTick),
    done.length ? [h("h3", {}, `${t("doneActions")} (${done.length})`), actionList(done, true)] : null,
  ];
}

function personOut(person) {
  return [person.name, pick(person.role), person.position ? pick(person.position) : null, person.unit].filter(Boolean).join(" · ");
}

function handoverText(handover) {
  const post = handover.to_position ? t("aside")(pick(handover.to_position)) : "";
  return `${personOut(handover.by)} → ${handover.to}${post}${t("colon")}${handover.reason}`;
}

function facts(incident, nowMs) {
  const rows = [
    [t("status"), pick(incident.status)],
    [t("path"), incident.outlet_path.map(pick).join(" › ")],
    [t("openedAt"), clock(incident.opened_at)],
    [t("lastEventAt"), clock(incident.last_event_at)],
  ];
  if (incident.owner) rows.push([t(incident.type === "emergency" ? "inCharge" : "owner"), personOut(incident.owner)]);
  if (incident.handover) rows.push([t("handover"), handoverText(incident.handover)]);
  if (incident.type === "complaint") {
    const due = incident.due_at ? clock(incident.due_at) + t("aside")(untilText(incident.due_at, nowMs)) : t("clockPaused");
    rows.push([t("dueAt"), due]);
  }
  rows.push([t("summary"), incident.summary]);
  return h("dl", { class: "facts" }, rows.map(([name, text]) => [h("dt", {}, name), h("dd", {}, text)]));
}

/**
 * Fill the dialog's title, body and timeline (newest first, where attention goes); the commands'
 * panel between body and timeline is not touched, so that a form being filled in stays as it is.
 * options: onTick(code) when an open playbook action may be ticked off here; unitName(code).
 */
export function renderDetail(title, body, timelineHost, incident, timeline, nowMs, { onTick = null, unitName = (code) => code } = {}) {
  const kind = `${t(incident.type)} · ${pick(incident.kind)}`;
  const place = pick(incident.outlet_path.at(-1));
  fill(title, levelBadge(incident.level.code, pick(incident.level)), " ", incident.exercise ? [exerciseMark(), " "] : null, kind, " · ", place);
  const names = codeNames(incident);
  const corrections = correctionsOf(timeline.events);
  const byVersion = new Map(timeline.events.map((event) => [event.version, event]));
  fill(
    body,
    incident.exercise ? h("p", { class: "exercise-banner" }, exerciseMark(), " ", t("exerciseBanner")) : null,
    incident.overdue ? h("p", { class: "overdue-banner" }, overdueMark(), " ", untilText(incident.due_at, nowMs)) : null,
    facts(incident, nowMs),
    h(
      "div",
      { class: "steps" },
      incident.current_step ? h("p", {}, h("span", { class: "muted" }, t("current") + t("colon")), pick(incident.current_step)) : null,
      h("p", { class: "next-step" }, h("span", {}, t("next") + t("colon")), h("strong", {}, pick(incident.next_expected_step))),
    ),
    incident.type === "emergency" ? playbook(incident, onTick) : null, // a complaint's checklist is its steps
  );
  fill(
    timelineHost,
    h("h3", {}, t("timeline")),
    h("ol", { class: "timeline", reversed: true }, [...timeline.events].reverse().map((event) => timelineEntry(event, names, corrections, byVersion, unitName))),
  );
}
