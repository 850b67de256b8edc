// The office's live board: sign-in, counts, filters, incident rows, the wall, the detail view, live updates.

import { ActPanel } from "./act.js";
import { RevealPanel } from "./reveal.js";
import { Alerts } from "./alerts.js";
import { AuthError, BoardsStaleError, forgetToken, get, saveToken, token } from "./api.js";
import { codeNames, renderDetail } from "./detail.js";
import { exerciseMark, fill, h, labelCells, levelBadge, rowKey, overdueMark, translateStatic } from "./dom.js";
import { LiveFeed } from "./feed.js";
import {
  LEVELS, clock, currentLang, duration, eventLabel, initialLang, levelLabel, pick, setLang, setVocabulary, setZone, t, untilText,
} from "./i18n.js";
import { renderWall, unitOptions } from "./wall.js";

const DEBOUNCE_MS = 120; // a burst of events costs one refetch, and a change still shows within a second
const CATCH_UP_WAIT_MS = 3000; // after this, whatever the replay brought is what was missed
const CATCH_UP_LIST = 8;
const FLASH_MS = 4000;
const STALE_RECHECK_MS = 5000; // while the boards are stuck, look again this often: they recover by themselves

const $ = (id) => document.getElementById(id);

const state = {
  board: null, // the last /boards/office answer for the whole scope: filters apply here, in the page
  wall: null,
  filters: { unit: "", type: "", level: "", overdueOnly: false },
  position: 0, // the highest log position the page has asked the boards to reflect
  serverOffsetMs: 0, // server clock minus ours, so ages and deadlines tick without refetching
  versions: new Map(), // incident id -> version last shown, to flash rows that changed
  detailId: null,
  detail: null,
  timeline: null,
  feed: null,
  conn: { state: "connecting", retryAt: null },
  liveUntil: null, // when live updates stopped; null while live
  loadedAt: null,
  rowsShown: false, // rows flash on change, but not on the first render
  catchUp: null, // the reconnect being classified: which replayed events were missed
  lastCatchUp: null, // the missed events shown in the notice until dismissed
};

const serverNow = () => Date.now() + state.serverOffsetMs;

const reveal = new RevealPanel($("detail-personal"));
const act = new ActPanel($("detail-act"), {
  unitName: (code) => outletName(code),
  names: () => (state.detail ? codeNames(state.detail) : new Map()),
});
const alerts = new Alerts({
  describe: describeAlert,
  open: (id) => openDetail(id),
  isOpen: (id) => state.detailId === id && $("detail").open,
  onChange: () => renderAlerts(),
});

// ---- loading -------------------------------------------------------------------------------

let refreshSeq = 0;

/** Fetch board and wall as of log position `after`, then render.
 *
 * The board is fetched whole and filtered here, so that a filter answers at once.
 */
async function load(after) {
  const seq = ++refreshSeq;
  const [board, wall] = await fetchBoards(after);
  if (seq !== refreshSeq) return; // a newer load (a newer position) has won, or the user signed out
  state.board = board;
  state.wall = wall;
  state.position = Math.max(state.position, board.position, wall.position);
  state.loadedAt = Date.now();
  learnServerClock(board.incidents);
  render();
}

async function fetchBoards(after) {
  try {
    return await Promise.all([get("/api/v1/boards/office", { after }), get("/api/v1/boards/wall", { after })]);
  } catch (error) {
    // Stuck before `after`: show what the boards hold, and the banner that says they are stale.
    if (error instanceof BoardsStaleError && after !== undefined) return fetchBoards(undefined);
    throw error;
  }
}

function learnServerClock(incidents) {
  const sample = incidents[0];
  if (sample) state.serverOffsetMs = Date.parse(sample.opened_at) + sample.age_seconds * 1000 - Date.now();
}

async function loadDetail(after) {
  const id = state.detailId;
  if (!id) return;
  const [detail, timeline] = await Promise.all([
    get(`/api/v1/incidents/${id}`),
    get(`/api/v1/incidents/${id}/timeline`, { after }).catch((error) => {
      if (error instanceof BoardsStaleError) return get(`/api/v1/incidents/${id}/timeline`);
      throw error;
    }),
  ]);
  if (id !== state.detailId) return;
  state.detail = detail;
  state.timeline = timeline;
  renderDetailView();
  // What may be done depends on the state just read: ask again, then offer the ticks beside the actions.
  await act.show(id, detail.version).catch((error) => {
    if (error instanceof AuthError) throw error;
    console.warn("commands not read", error.message); // the next event or a reopening tries again
  });
  if (id === state.detailId) renderDetailView();
}

// Refreshes run one at a time; events arriving meanwhile raise the target and trigger one more.
let wanted = 0;
let touched = new Set();
let refreshTimer = null;
let refreshing = false;

function requestRefresh(position, incidentId) {
  wanted = Math.max(wanted, position);
  if (incidentId) touched.add(incidentId);
  if (!refreshTimer && !refreshing) refreshTimer = setTimeout(runRefresh, DEBOUNCE_MS);
}

async function runRefresh() {
  refreshTimer = null;
  refreshing = true;
  const target = wanted;
  const ids = touched;
  touched = new Set();
  try {
    await load(target);
    if (ids.has(state.detailId)) await loadDetail(target);
  } catch (error) {
    handleError(error);
  } finally {
    refreshing = false;
    if (wanted > target || touched.size) refreshTimer = setTimeout(runRefresh, DEBOUNCE_MS);
  }
}

function handleError(error) {
  if (error instanceof AuthError) signOut(error.status === 401 ? t("badToken") : t("forbidden"));
  else console.warn("board refresh failed", error.message); // the next event or reconnect tries again
}

// ---- rendering: counts, filters, rows --------------------------------------------------------

function isOverdue(incident) {
  if (incident.overdue) return true;
  // A deadline can pass with no event at all: judge it on the server's clock as time goes by.
  return Boolean(incident.due_at && !incident.clock_paused && Date.parse(incident.due_at) < serverNow());
}

/** Incidents in the chosen unit and type; the counts are taken here, before level and overdue narrow further. */
function inUnitAndType() {
  const { unit, type } = state.filters;
  return state.board.incidents.filter((i) => (!unit || i.outlet_path.includes(unit)) && (!type || i.type === type));
}

function visibleIncidents() {
  const { level, overdueOnly } = state.filters;
  const shown = inUnitAndType().filter((i) => (!level || i.level.code === level) && (!overdueOnly || isOverdue(i)));
  // Worst level first (the server's order); within a level the overdue ones first, so a past-due
  // complaint never sits below incidents still in time. The sort is stable: age order stays.
  const rank = new Map(LEVELS.map((l, index) => [l.code, index]));
  return shown.sort(
    (a, b) => (rank.get(b.level.code) ?? 0) - (rank.get(a.level.code) ?? 0) || Number(isOverdue(b)) - Number(isOverdue(a)),
  );
}

function render() {
  if (!state.board) return;
  renderCounts();
  renderFilters();
  renderRows();
  renderWall($("wall-tree"), state.wall.units, state.filters.unit, pickUnit);
  renderCatchUp();
  renderConn();
  renderBoardsStale();
}

function countTile(code, label, count, pressed, onclick) {
  const colour = code === "overdue" ? `lv-overdue${count ? " has-overdue" : ""}` : `lv-${code}`;
  return h(
    "button",
    { type: "button", class: `count ${colour}`, "aria-pressed": String(pressed), "data-level": code, onclick },
    h("span", { class: "count-label" }, label),
    h("span", { class: "count-value" }, String(count)),
  );
}

function renderCounts() {
  // The tiles count real incidents; drills are counted apart, on a tile of their own, never mixed in.
  const inScope = inUnitAndType();
  const scoped = inScope.filter((i) => !i.exercise);
  const drills = inScope.length - scoped.length;
  const counts = Object.fromEntries(LEVELS.map((level) => [level.code, scoped.filter((i) => i.level.code === level.code).length]));
  const overdue = scoped.filter(isOverdue).length;
  const tiles = [...LEVELS].reverse().map((level) =>
    countTile(level.code, pick(level), counts[level.code] ?? 0, state.filters.level === level.code, () =>
      setFilter("level", state.filters.level === level.code ? "" : level.code),
    ),
  );
  tiles.push(
    countTile("overdue", t("overdue"), overdue, state.filters.overdueOnly, () => setFilter("overdueOnly", !state.filters.overdueOnly)),
    h(
      "span",
      { class: "count lv-exercise", "data-level": "exercise", title: t("drillsApart") },
      h("span", { class: "count-label" }, t("exerciseWord")),
      h("span", { class: "count-value" }, String(drills)),
    ),
  );
  fill($("counts"), ...tiles);
}

function fillSelect(select, options, value) {
  const chosen = options.some((o) => o.code === value) ? value : "";
  select.replaceChildren(h("option", { value: "" }, t("all")), ...options.map((o) => h("option", { value: o.code }, o.label)));
  select.value = chosen;
}

function renderFilters() {
  fillSelect($("f-unit"), unitOptions(state.wall.units), state.filters.unit);
  fillSelect($("f-type"), ["emergency", "complaint"].map((code) => ({ code, label: t(code) })), state.filters.type);
  fillSelect($("f-level"), [...LEVELS].reverse().map((l) => ({ code: l.code, label: pick(l) })), state.filters.level);
}

function progressCell(incident) {
  const pending = incident.open_actions.length;
  return h(
    "td",
    { class: "progress" },
    h("span", { class: "status" }, pick(incident.status)),
    incident.current_step ? h("div", { class: "muted" }, pick(incident.current_step)) : null,
    h("div", { class: "next" }, h("span", { class: "muted" }, t("next") + t("colon")), pick(incident.next_step)),
    pending ? h("div", { class: "muted" }, `${t("openActions")}${t("colon")}${pending}`) : null,
  );
}

function dueCell(incident, overdue) {
  if (!incident.due_at) return h("td", { class: "muted" }, incident.clock_paused ? t("clockPaused") : "—");
  return h(
    "td",
    { class: overdue ? "due overdue-text" : "due" },
    h("time", { datetime: incident.due_at }, clock(incident.due_at)),
    h("div", {}, untilText(incident.due_at, serverNow())),
  );
}

function incidentRow(incident, flash) {
  const overdue = isOverdue(incident);
  const ageSeconds = (serverNow() - Date.parse(incident.opened_at)) / 1000;
  // The level goes in data-level, not an lv-* class: those paint text for coloured backgrounds.
  const classes = ["row", overdue && "is-overdue", incident.exercise && "is-exercise", flash && "changed"];
  return h(
    "tr",
    {
      class: classes.filter(Boolean).join(" "),
      tabindex: "0",
      "data-id": incident.incident_id,
      "data-level": incident.level.code,
      onclick: () => openDetail(incident.incident_id),
      onkeydown: (event) => rowKey(event, () => openDetail(incident.incident_id)),
    },
    h("td", {}, levelBadge(incident.level.code, pick(incident.level))),
    h(
      "td",
      {},
      h("strong", {}, `${t(incident.type)} · ${pick(incident.kind)}`),
      h("div", { class: "summary" }, incident.summary || ""),
      h("div", { class: "marks" }, incident.exercise ? exerciseMark() : null, overdue ? overdueMark() : null),
    ),
    h("td", {}, pick(incident.outlet_name) || incident.outlet, h("div", { class: "muted code" }, incident.outlet)),
    progressCell(incident),
    h("td", {}, duration(ageSeconds)),
    dueCell(incident, overdue),
    h(
      "td",
      {},
      eventLabel(incident.last_event),
      h("div", { class: "muted" }, `${incident.last_actor} · ${clock(incident.last_event_at)}`),
    ),
  );
}

function renderRows() {
  const shown = visibleIncidents();
  const focused = document.activeElement?.closest?.("tr[data-id]")?.dataset.id;
  const rows = shown.map((incident) => {
    const before = state.versions.get(incident.incident_id);
    return incidentRow(incident, state.rowsShown && before !== incident.version);
  });
  state.versions = new Map(state.board.incidents.map((i) => [i.incident_id, i.version]));
  state.rowsShown = true;
  fill($("rows"), ...rows);
  labelCells($("incidents"));
  $("empty").hidden = shown.length > 0;
  $("incidents").hidden = shown.length === 0;
  $("shown").textContent = t("shown")(shown.length, state.board.incidents.length);
  if (focused) document.querySelector(`tr[data-id="${focused}"]`)?.focus(); // keep the keyboard user's place
  setTimeout(() => document.querySelectorAll("tr.changed").forEach((tr) => tr.classList.remove("changed")), FLASH_MS);
}

// ---- filters -----------------------------------------------------------------------------------

function setFilter(name, value) {
  state.filters[name] = value;
  render();
}

function pickUnit(code) {
  setFilter("unit", state.filters.unit === code ? "" : code);
}

function wireFilters() {
  $("f-unit").addEventListener("change", (e) => setFilter("unit", e.target.value));
  $("f-type").addEventListener("change", (e) => setFilter("type", e.target.value));
  $("f-level").addEventListener("change", (e) => setFilter("level", e.target.value));
  $("f-clear").addEventListener("click", () => {
    state.filters = { unit: "", type: "", level: "", overdueOnly: false };
    render();
  });
}

// ---- detail view -------------------------------------------------------------------------------

function openDetail(id) {
  if (state.detailId !== id) {
    act.reset(id);
    reveal.reset(id);
  }
  state.detailId = id;
  state.detail = null;
  alerts.seen(id);
  $("detail-title").textContent = t("loading");
  fill($("detail-body"));
  fill($("detail-timeline"));
  if (!$("detail").open) $("detail").showModal();
  loadDetail(state.position).catch(handleError);
}

function renderDetailView() {
  if (!state.detail || !$("detail").open) return;
  const onTick = act.offered("complete_playbook_action") ? (code) => act.start("complete_playbook_action", { action: code }) : null;
  renderDetail($("detail-title"), $("detail-body"), $("detail-timeline"), state.detail, state.timeline, serverNow(), { onTick, unitName: outletName });
  reveal.show(state.detail);
}

function wireDetail() {
  $("detail-close").addEventListener("click", () => $("detail").close());
  $("detail").addEventListener("close", () => {
    const id = state.detailId;
    state.detailId = null;
    act.reset();
    reveal.reset();
    document.querySelector(`tr[data-id="${id}"]`)?.focus(); // back to the row it was opened from
  });
}

// ---- live feed, connection status, catch-up after a drop -----------------------------------------

function onFeedEvent(message) {
  const catchUp = state.catchUp;
  if (catchUp && (catchUp.cutoff === null || message.position <= catchUp.cutoff)) catchUp.events.push(message);
  requestRefresh(message.position, message.incident_id);
  alerts.consider(message);
  finishCatchUpIfDone();
}

function onFeedOpen({ resumed }) {
  if (!resumed) return;
  // The server replays what happened while we were away before anything live. What the boards
  // already held when we came back is what we missed; later positions are simply live.
  const catchUp = { cutoff: null, events: [], timer: null, done: false };
  state.catchUp = catchUp;
  catchUp.timer = setTimeout(() => finishCatchUp(catchUp), CATCH_UP_WAIT_MS);
  get("/api/v1/boards/wall")
    .then((wall) => {
      catchUp.cutoff = wall.position;
      catchUp.events = catchUp.events.filter((e) => e.position <= wall.position);
      finishCatchUpIfDone();
    })
    .catch(handleError);
  requestRefresh(state.feed.position);
}

function finishCatchUpIfDone() {
  const catchUp = state.catchUp;
  if (catchUp && !catchUp.done && catchUp.cutoff !== null && state.feed.position >= catchUp.cutoff) finishCatchUp(catchUp);
}

function finishCatchUp(catchUp) {
  if (catchUp.done) return;
  catchUp.done = true;
  clearTimeout(catchUp.timer);
  state.lastCatchUp = catchUp.events;
  renderCatchUp();
}

function onHeartbeat() {
  // A heartbeat comes only after a quiet spell, so the replay is over.
  if (state.catchUp && !state.catchUp.done) finishCatchUp(state.catchUp);
}

function onFeedStatus(status) {
  const wasLive = state.conn.state === "live";
  state.conn = status;
  if (status.state === "live") state.liveUntil = null;
  else if (status.state !== "connecting") state.liveUntil ??= wasLive ? Date.now() : state.loadedAt;
  renderConn();
}

function outletName(code) {
  const unit = state.wall?.units.find((u) => u.code === code);
  return unit ? pick(unit) : code;
}

function catchUpItem(message) {
  return h(
    "li",
    {},
    h(
      "button",
      { type: "button", class: "link", onclick: () => openDetail(message.incident_id) },
      h("time", { datetime: message.occurred_at }, clock(message.occurred_at)),
      " ",
      levelBadge(message.level),
      " ",
      message.exercise ? [exerciseMark(), " "] : null,
      `${eventLabel(message.event)} · ${t(message.incident_type)} · ${outletName(message.unit)}`,
    ),
  );
}

function renderCatchUp() {
  const events = state.lastCatchUp;
  $("catch-up").hidden = !events;
  if (!events) return;
  $("catch-up-title").textContent = events.length ? t("caughtUp")(events.length) : t("nothingMissed");
  const items = events.slice(-CATCH_UP_LIST).reverse().map(catchUpItem);
  if (events.length > CATCH_UP_LIST) items.push(h("li", { class: "muted" }, t("more")(events.length - CATCH_UP_LIST)));
  fill($("catch-up-list"), ...items);
}

function connText() {
  const conn = t("conn");
  if (state.conn.state === "offline" && !navigator.onLine) return conn.offlineNow;
  return conn[state.conn.state];
}

function retryText() {
  const waiting = state.conn.retryAt && navigator.onLine && ["offline", "reconnecting", "busy"].includes(state.conn.state);
  return waiting ? t("conn").retryIn(Math.max(0, Math.ceil((state.conn.retryAt - Date.now()) / 1000))) : "";
}

/** Change text only when it differs: live regions re-announce a rewritten node even if it reads the same. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function renderConn() {
  const element = $("conn");
  element.hidden = !state.feed;
  element.dataset.state = state.conn.state;
  setText($("conn-text"), connText());
  setText($("conn-retry"), retryText());
  $("conn-reconnect").hidden = state.conn.state !== "refused";
  const stale = state.liveUntil !== null && state.conn.state !== "connecting" && Boolean(state.board);
  $("stale").hidden = !stale;
  if (stale) setText($("stale"), t("stale")(clock(new Date(state.liveUntil).toISOString())));
}

// ---- boards that cannot process an event: said loudly, and looked at again until they recover -------

let staleTimer = null;

function renderBoardsStale() {
  const stale = state.board?.stale ?? null;
  $("boards-stale").hidden = !stale;
  if (!stale) return;
  setText($("boards-stale"), t("boardsStale")(clock(stale.since), stale, state.board.position, state.board.head));
  staleTimer ??= setTimeout(() => {
    staleTimer = null;
    requestRefresh(0);
  }, STALE_RECHECK_MS);
}

// ---- loud incidents: the title, a sound, a browser notification ----------------------------------

function describeAlert(message) {
  const drill = message.exercise ? `${t("exerciseWord")} ` : "";
  return {
    title: `${drill}${levelLabel(message.level)} · ${t(message.incident_type)} · ${outletName(message.unit)}`,
    body: `${eventLabel(message.event)} · ${clock(message.occurred_at)}`,
  };
}

function alertItem(message) {
  const { title, body } = describeAlert(message);
  return h(
    "li",
    { "data-id": message.incident_id },
    h("button", { type: "button", class: "link", onclick: () => openDetail(message.incident_id) }, levelBadge(message.level), " ", title, " · ", body),
  );
}

function renderAlerts() {
  document.title = alerts.title(`${t("title")} · ${t("subtitle")}`);
  const unseen = [...alerts.unseen.values()];
  $("alerts").hidden = unseen.length === 0;
  $("alerts-title").textContent = t("alertsTitle")(unseen.length);
  fill($("alerts-list"), ...unseen.reverse().map(alertItem));
  $("sound").hidden = !state.feed;
  $("sound").setAttribute("aria-pressed", String(alerts.soundOn));
  $("sound").textContent = alerts.soundOn ? t("soundOn") : t("soundOff");
  const askable = "Notification" in window && Notification.permission === "default";
  $("notify").hidden = !state.feed || !askable;
}

function wireAlerts() {
  $("alerts-seen").addEventListener("click", () => alerts.clear());
  $("sound").addEventListener("click", () => {
    alerts.toggleSound();
    renderAlerts();
  });
  $("notify").addEventListener("click", () => alerts.askPermission().then(renderAlerts));
  document.addEventListener("pointerdown", () => alerts.unlockAudio(), { once: true });
}

// ---- sign-in, sign-out, language ------------------------------------------------------------------

function showSignIn(message = "") {
  $("board").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  $("token").value = "";
  $("token").focus();
}

async function startBoard() {
  $("sign-in").hidden = true;
  $("board").hidden = false;
  $("sign-out").hidden = false;
  // The words for codes and the zone for times, before anything is drawn with them.
  const [words, web] = await Promise.all([get("/api/v1/vocabulary"), get("/web/settings")]);
  setVocabulary(words);
  setZone(web.time_zone);
  await load(undefined);
  // Subscribe from what the boards showed: the feed replays everything after it, so nothing falls between.
  state.feed = new LiveFeed(token(), {
    onEvent: onFeedEvent,
    onHeartbeat,
    onOpen: onFeedOpen,
    onStatus: onFeedStatus,
    onAuthFailed: (code, reason) =>
      signOut(code === 4401 ? t(reason === "token revoked" ? "revoked" : "badToken") : t("forbidden")),
  });
  state.feed.start(Math.min(state.board.position, state.wall.position));
  renderConn();
  renderAlerts();
  openLinkedIncident();
}

// A notification links to the board as `/#incident=<id>`: signed in, the board opens that incident.
function openLinkedIncident() {
  const id = new URLSearchParams(location.hash.slice(1)).get("incident");
  if (id && /^[0-9a-f-]{36}$/i.test(id) && state.feed) openDetail(id);
}

function signOut(message = "") {
  state.feed?.stop();
  state.feed = null;
  refreshSeq += 1; // answers still on their way belong to the old session
  clearTimeout(refreshTimer);
  refreshTimer = null;
  clearTimeout(staleTimer);
  staleTimer = null;
  wanted = 0;
  touched = new Set();
  forgetToken();
  Object.assign(state, {
    board: null, wall: null, detailId: null, lastCatchUp: null, catchUp: null, liveUntil: null, position: 0, rowsShown: false,
    conn: { state: "connecting", retryAt: null },
  });
  state.versions = new Map();
  if ($("detail").open) $("detail").close();
  act.reset();
  alerts.clear();
  $("conn").hidden = true;
  $("stale").hidden = true;
  $("boards-stale").hidden = true;
  showSignIn(message);
}

async function signIn(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  if (!value) return;
  saveToken(value);
  try {
    await startBoard();
  } catch (error) {
    forgetToken();
    const message = error instanceof AuthError ? (error.status === 401 ? t("badToken") : t("forbidden")) : t("serverError");
    showSignIn(message);
  }
}

/** A reload with a token in the tab: keep trying until the server answers (a restart is not a sign-out). */
async function resume(attempt = 0) {
  try {
    await startBoard();
  } catch (error) {
    if (error instanceof AuthError) return handleError(error);
    $("stale").hidden = false;
    $("stale").textContent = t("serverError");
    setTimeout(() => resume(attempt + 1), Math.min(15000, 1000 * 2 ** attempt));
  }
}

function applyLang(lang) {
  setLang(lang);
  translateStatic();
  $("lang").textContent = t("langButton");
  renderAlerts();
  render();
  renderDetailView();
  act.render();
  renderConn();
}

function tick() {
  if (state.conn.retryAt) renderConn(); // the countdown to the next retry
}

function slowTick() {
  if (!state.board) return;
  renderCounts(); // deadlines pass without events: ages and overdue marks move on their own
  renderRows();
}

function main() {
  applyLang(initialLang());
  $("lang").addEventListener("click", () => applyLang(currentLang() === "zh" ? "en" : "zh"));
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("conn-reconnect").addEventListener("click", () => state.feed?.retryNow());
  $("catch-up-close").addEventListener("click", () => {
    state.lastCatchUp = null;
    renderCatchUp();
  });
  wireFilters();
  wireDetail();
  wireAlerts();
  window.addEventListener("hashchange", openLinkedIncident);
  setInterval(tick, 1000);
  setInterval(slowTick, 15000);
  if (token()) resume();
  else showSignIn();
}

main();
