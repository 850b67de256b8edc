// The find page: every incident the token may read, closed ones too, by the filters of GET /api/v1/incidents,
// a page at a time behind the API's cursor; a row opens the board's detail view. The search lives in the
// URL's fragment (never sent to the server, so no token or filter reaches a log), so Back and a link work.

import { ApiError, AuthError, forgetToken, get, saveToken, token } from "./api.js";
import { renderDetail } from "./detail.js";
import { exerciseMark, fill, h, labelCells, levelBadge, rowKey } from "./dom.js";
import { FIND_WORDS, PARAMETER_LABELS } from "./find_words.js";
import { currentLang, initialLang, pick, setLang, setVocabulary, setZone, t } from "./i18n.js";
import { unitOptions } from "./wall.js";
import { dayStart, isDay, stamp } from "./zone.js";

const PAGE_SIZE = 50;
const SELECTS = ["unit", "type", "kind", "level", "status", "exercise"];
const INPUTS = ["q", "reported_from", "reported_to"];
const $ = (id) => document.getElementById(id);
const wordsOf = (lang) => FIND_WORDS[lang];
const w = (key) => wordsOf(currentLang())[key];

const state = {
  vocabulary: null, // /api/v1/vocabulary: the labels of the codes, the bank's time zone
  units: [], // the wall's units in the token's scope, for the unit filter
  query: {}, // the search shown, as the fragment holds it
  incidents: [],
  next: null, // the cursor of the page after the last one shown
  loading: false,
  error: null,
  seq: 0, // a newer search wins over answers still on their way
  detailId: null,
  detail: null,
  timeline: null,
};

// ---- the search: fragment ⇄ form ⇄ API parameters ------------------------------------------------

function queryFromHash() {
  return Object.fromEntries([...new URLSearchParams(location.hash.slice(1))].filter(([, value]) => value !== ""));
}

function queryFromForm() {
  const query = {};
  for (const name of [...INPUTS, ...SELECTS]) {
    const value = $(name).value.trim();
    if (value) query[name] = value;
  }
  // What the form has no control for (a page size in a shared link) stays as it was.
  for (const [name, value] of Object.entries(state.query)) if (!(name in query) && ![...INPUTS, ...SELECTS].includes(name)) query[name] = value;
  return query;
}

/** The fragment's days become the instants they begin in the bank's zone; "to" includes its day. */
function apiParams(query) {
  const zone = state.vocabulary.time_zone;
  const params = { limit: PAGE_SIZE, ...query };
  if (query.reported_from) params.reported_from = dayStart(query.reported_from, zone) ?? query.reported_from;
  if (query.reported_to) params.reported_to = dayStart(query.reported_to, zone, 1) ?? query.reported_to;
  return params;
}

function submit(event) {
  event.preventDefault();
  const hash = new URLSearchParams(queryFromForm()).toString();
  if (hash === location.hash.slice(1)) search(); // the same search again: look again
  else location.hash = hash; // hashchange runs it, and Back returns to the search before
}

function fromHash() {
  state.query = queryFromHash();
  renderForm();
  search();
}

// ---- loading pages -----------------------------------------------------------------------------------

function search() {
  state.seq += 1;
  Object.assign(state, { incidents: [], next: null, error: null });
  loadPage(state.seq, undefined);
}

async function loadPage(seq, cursor) {
  state.loading = true;
  renderResults();
  try {
    const page = await get("/api/v1/incidents", { ...apiParams(state.query), cursor });
    if (seq !== state.seq) return;
    state.incidents.push(...page.incidents);
    state.next = page.next;
  } catch (error) {
    if (seq !== state.seq) return;
    if (error instanceof AuthError && error.status === 401) {
      signOut(w("badToken"));
      return;
    }
    state.error = error;
  }
  state.loading = false;
  renderResults();
}

function more() {
  if (state.loading || !state.next) return; // one request per cursor: a double tap must not list a page twice
  loadPage(state.seq, state.next);
}

// ---- rendering: the form --------------------------------------------------------------------------

function option(value, label, chosen) {
  return h("option", { value, selected: value === chosen }, label);
}

/** Options, and the fragment's value kept even when it is none of them: the server then says what is wrong. */
function fillSelect(select, options, chosen = "") {
  const known = options.some((o) => o.value === chosen) || options.some((o) => o.options?.some((i) => i.value === chosen));
  const stray = chosen && !known ? [option(chosen, chosen, chosen)] : [];
  const build = (o) => (o.options ? h("optgroup", { label: o.label }, o.options.map((i) => option(i.value, i.label, chosen))) : option(o.value, o.label, chosen));
  select.replaceChildren(option("", w("all"), chosen), ...options.map(build), ...stray);
  select.value = chosen;
}

function kindOptions(type) {
  const types = state.vocabulary.types.filter((entry) => !type || entry.code === type);
  const kinds = (entry) => entry.kinds.map((kind) => ({ value: kind.code, label: pick(kind) }));
  if (types.length === 1) return kinds(types[0]);
  return types.map((entry) => ({ label: pick(entry), options: kinds(entry) }));
}

function renderForm(query = state.query) {
  if (!state.vocabulary) return;
  const vocabulary = state.vocabulary;
  fillSelect($("unit"), unitOptions(state.units).map((u) => ({ value: u.code, label: u.label })), query.unit);
  fillSelect($("type"), vocabulary.types.map((entry) => ({ value: entry.code, label: pick(entry) })), query.type);
  fillSelect($("kind"), kindOptions(query.type), query.kind);
  fillSelect($("level"), [...vocabulary.levels].reverse().map((l) => ({ value: l.code, label: pick(l) })), query.level);
  fillSelect($("status"), ["open", "closed"].map((code) => ({ value: code, label: w(code) })), query.status);
  fillSelect($("exercise"), [{ value: "false", label: w("real") }, { value: "true", label: w("drills") }], query.exercise);
  $("q").value = query.q ?? "";
  // A date input holds a day or nothing: a stray value stays in the search and the server names it.
  for (const name of ["reported_from", "reported_to"]) $(name).value = isDay(query[name]) ? query[name] : "";
}

function typeChanged() {
  const kind = $("kind").value;
  fillSelect($("kind"), kindOptions($("type").value), "");
  if ([...$("kind").options].some((o) => o.value === kind)) $("kind").value = kind;
}

// ---- rendering: results and refusals ----------------------------------------------------------------

function typeLabel(code) {
  return pick(state.vocabulary.types.find((entry) => entry.code === code)) || code;
}

function resultRow(incident) {
  const zone = state.vocabulary.time_zone;
  const id = incident.incident_id;
  return h(
    "tr",
    {
      class: `row${incident.exercise ? " is-exercise" : ""}`,
      tabindex: "0",
      "data-id": id,
      "data-level": incident.level.code,
      "data-status": incident.status.code,
      onclick: () => openDetail(id),
      onkeydown: (event) => rowKey(event, () => openDetail(id)),
    },
    h("td", {}, levelBadge(incident.level.code, pick(incident.level))),
    h(
      "td",
      {},
      h("strong", {}, `${typeLabel(incident.type)} · ${pick(incident.kind)}`),
      h("div", { class: "summary" }, incident.summary || ""),
      incident.exercise ? h("div", { class: "marks" }, exerciseMark()) : null,
    ),
    h("td", {}, pick(incident.outlet_name) || incident.outlet, h("div", { class: "muted code" }, incident.outlet)),
    h(
      "td",
      {},
      h("span", { class: "status" }, pick(incident.status)),
      incident.closed_at ? h("div", { class: "muted" }, w("closedAt")(stamp(incident.closed_at, zone))) : null,
    ),
    h("td", { class: "reported" }, h("time", { datetime: incident.opened_at, title: zone }, stamp(incident.opened_at, zone))),
  );
}

/** What went wrong, in the page's language first and then the other: whoever reads it, reads it. */
function refusal(error, lang) {
  const words = wordsOf(lang);
  if (error instanceof AuthError) return words.forbidden;
  if (error instanceof ApiError && error.status === 422) {
    const label = words[PARAMETER_LABELS[error.field]];
    return error.field ? words.refused(error.field, label, error.detail) : words.refusedNoField(error.detail);
  }
  return words.serverError;
}

function renderError() {
  const error = state.error;
  $("find-error").hidden = !error;
  if (!error) return;
  const second = currentLang() === "zh" ? "en" : "zh";
  fill(
    $("find-error"),
    h("p", {}, refusal(error, currentLang())),
    h("p", { class: "other-lang", lang: second === "zh" ? "zh-CN" : "en" }, refusal(error, second)),
  );
}

function renderResults() {
  if (!state.vocabulary) return;
  const count = state.incidents.length;
  fill($("rows"), state.incidents.map(resultRow));
  labelCells($("results"));
  $("results").hidden = count === 0;
  $("none").hidden = count > 0 || state.loading || Boolean(state.error);
  $("more").hidden = !state.next;
  $("more").disabled = state.loading;
  // For whoever waits on the page (a test, a screen reader's user): which search, and whether it is done.
  $("finder").dataset.search = String(state.seq);
  $("finder").dataset.state = state.loading ? "loading" : "done";
  $("found").textContent = state.loading ? w("loading") : state.error ? "" : w("found")(count, Boolean(state.next));
  renderError();
}

// ---- the detail view, as the board shows it -----------------------------------------------------------

async function openDetail(id) {
  Object.assign(state, { detailId: id, detail: null, timeline: null });
  $("detail-title").textContent = t("loading");
  fill($("detail-body"));
  if (!$("detail").open) $("detail").showModal();
  try {
    const [detail, timeline] = await Promise.all([get(`/api/v1/incidents/${id}`), get(`/api/v1/incidents/${id}/timeline`)]);
    if (id !== state.detailId) return;
    Object.assign(state, { detail, timeline });
    renderDetailView();
  } catch (error) {
    if (id !== state.detailId) return;
    $("detail-title").textContent = refusal(error, currentLang());
  }
}

function renderDetailView() {
  if (!state.detail || !$("detail").open) return;
  renderDetail($("detail-title"), $("detail-body"), $("detail-timeline"), state.detail, state.timeline, Date.now());
}

function closeDetail() {
  const id = state.detailId;
  state.detailId = null;
  document.querySelector(`tr[data-id="${id}"]`)?.focus(); // back to the row it was opened from
}

// ---- sign-in, language -------------------------------------------------------------------------------

function translate() {
  for (const element of document.querySelectorAll("[data-f]")) element.textContent = w(element.dataset.f);
  for (const element of document.querySelectorAll("[data-f-aria]")) element.setAttribute("aria-label", w(element.dataset.fAria));
  for (const element of document.querySelectorAll("[data-f-placeholder]")) element.placeholder = w(element.dataset.fPlaceholder);
  $("lang").textContent = w("langButton");
  document.title = `${w("title")} · ${currentLang() === "zh" ? "网点应急指挥" : "Incident command"}`;
}

function applyLang(lang) {
  setLang(lang);
  translate();
  if (state.vocabulary) renderForm(queryFromForm()); // options are rebuilt in the new language: keep what is chosen
  renderResults();
  renderDetailView();
}

function showSignIn(message = "") {
  $("finder").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  $("token").value = "";
}

function signOut(message = "") {
  forgetToken();
  state.seq += 1;
  Object.assign(state, { vocabulary: null, units: [], incidents: [], next: null, error: null, detailId: null });
  if ($("detail").open) $("detail").close();
  showSignIn(message);
}

async function start() {
  try {
    // The wall gives the unit tree of the token's scope; a role without a wall still searches.
    const units = get("/api/v1/boards/wall").then(
      (wall) => wall.units,
      (error) => {
        if (error instanceof AuthError && error.status === 401) throw error;
        return [];
      },
    );
    [state.vocabulary, state.units] = await Promise.all([get("/api/v1/vocabulary"), units]);
    setVocabulary(state.vocabulary); // the detail view names events and fields from it
    setZone(state.vocabulary.time_zone);
  } catch (error) {
    forgetToken();
    showSignIn(error instanceof AuthError ? w(error.status === 401 ? "badToken" : "forbidden") : w("serverError"));
    return;
  }
  $("sign-in").hidden = true;
  $("finder").hidden = false;
  $("sign-out").hidden = false;
  fromHash();
}

function main() {
  setLang(initialLang());
  translate();
  $("lang").addEventListener("click", () => applyLang(currentLang() === "zh" ? "en" : "zh"));
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    saveToken(value);
    start();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("find").addEventListener("submit", submit);
  $("clear").addEventListener("click", () => {
    if (location.hash.length > 1) location.hash = "";
    else fromHash(); // already the whole scope: clear the form and look again
  });
  $("type").addEventListener("change", typeChanged);
  $("more").addEventListener("click", more);
  $("detail-close").addEventListener("click", () => $("detail").close());
  $("detail").addEventListener("close", closeDetail);
  window.addEventListener("hashchange", () => {
    if (state.vocabulary) fromHash();
  });
  if (token()) start();
  else showSignIn();
}

main();
