// The thresholds page: the bank's thresholds in force and their history, read-only (an admin changes them
// through the API). It signs in with a pasted token, kept in this tab only, like the board.

import { AuthError, forgetToken, get, saveToken, token } from "./api.js";
import { fill, h } from "./dom.js";
import { currentLang, initialLang, setLang } from "./i18n.js";

const PATH = "/api/v1/settings/thresholds";
const $ = (id) => document.getElementById(id);

const WORDS = {
  zh: {
    title: "阈值设置", subtitle: "风险分级、客流激增与被动等待的阈值", board: "返回看板", langButton: "English",
    signInTitle: "登录", tokenLabel: "访问令牌", signIn: "登录", signOut: "退出",
    readOnly: "只读。阈值只能由系统管理员通过 API（PUT /api/v1/settings/thresholds）修改，每次修改都记录修改人、时间、新旧值和原因。",
    meaning: "阈值", value: "当前值", bounds: "允许范围", history: "修改记录",
    off: "关闭（由办公室决定）", changed: (at, by) => `最近设置：${at}，${by}`,
    loaded: "初始值", badToken: "令牌无效或已吊销。", forbidden: "此令牌无权查看阈值（限应急处理办公室、审计、系统管理员）。",
    serverError: "服务器暂时无法响应，请稍后重试。",
    units: { hours: "小时", minutes: "分钟", days: "天", complaints: "起投诉", outlets: "个网点", customers: "人" },
  },
  en: {
    title: "Thresholds", subtitle: "risk grading, customer surge and passive waiting", board: "Back to the board", langButton: "中文",
    signInTitle: "Sign in", tokenLabel: "Access token", signIn: "Sign in", signOut: "Sign out",
    readOnly: "Read-only. Only an admin changes the thresholds, through the API (PUT /api/v1/settings/thresholds); every change records who, when, old and new values, and why.",
    meaning: "Threshold", value: "In force", bounds: "Allowed", history: "Changes",
    off: "off (the office decides)", changed: (at, by) => `Last set ${at} by ${by}`,
    loaded: "starting values", badToken: "The token is unknown or revoked.", forbidden: "This token may not read the thresholds (office, auditor and admin only).",
    serverError: "The server is not answering; try again shortly.",
    units: { hours: "h", minutes: "min", days: "days", complaints: "complaints", outlets: "outlets", customers: "customers" },
  },
};

const state = { current: null, history: null };
const w = (key) => WORDS[currentLang()][key];
const unit = (code) => w("units")[code] || code;
const when = (iso) => new Date(iso).toLocaleString(currentLang() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
const shown = (value, code) => (value === null ? w("off") : `${value} ${unit(code)}`);

function row(threshold) {
  const [mine, other] = currentLang() === "zh" ? [threshold.zh, threshold.en] : [threshold.en, threshold.zh];
  return h(
    "tr",
    { "data-key": threshold.key },
    h("td", {}, mine, h("span", { class: "other-lang", lang: currentLang() === "zh" ? "en" : "zh-CN" }, other)),
    h("td", { class: "value" }, shown(threshold.value, threshold.unit)),
    h("td", { class: "muted" }, `${threshold.minimum}–${threshold.maximum} ${unit(threshold.unit)}`),
  );
}

function change(entry, units) {
  const keys = Object.keys(entry.after);
  const what = entry.event === "loaded"
    ? w("loaded")
    : keys.map((key) => `${key}: ${shown(entry.before[key], units[key])} → ${shown(entry.after[key], units[key])}`).join("; ");
  return h("li", { "data-version": entry.version }, `${when(entry.at)} · ${entry.by.name} · ${what} · ${entry.reason}`);
}

function render() {
  for (const element of document.querySelectorAll("[data-w]")) element.textContent = w(element.dataset.w);
  $("lang").textContent = w("langButton");
  document.title = `${w("title")} · Incident command`;
  if (!state.current) return;
  const units = Object.fromEntries(state.current.thresholds.map((t) => [t.key, t.unit]));
  fill($("rows"), state.current.thresholds.map(row));
  const by = state.current.changed_by;
  $("changed").textContent = by ? w("changed")(when(state.current.changed_at), by.name) : "";
  fill($("history"), state.history.map((entry) => change(entry, units)));
}

async function show() {
  const [current, history] = await Promise.all([get(PATH), get(`${PATH}/history`)]);
  Object.assign(state, { current, history });
  $("sign-in").hidden = true;
  $("thresholds").hidden = false;
  $("sign-out").hidden = false;
  render();
}

function showSignIn(message = "") {
  Object.assign(state, { current: null, history: null });
  $("thresholds").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
}

async function start() {
  try {
    await show();
  } catch (error) {
    forgetToken();
    const status = error instanceof AuthError ? error.status : null;
    showSignIn(status === 401 ? w("badToken") : status === 403 ? w("forbidden") : w("serverError"));
  }
}

function main() {
  setLang(initialLang());
  render();
  $("lang").addEventListener("click", () => {
    setLang(currentLang() === "zh" ? "en" : "zh");
    render();
  });
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    saveToken(value);
    start();
  });
  $("sign-out").addEventListener("click", () => {
    forgetToken();
    showSignIn();
  });
  if (token()) start();
  else showSignIn();
}

main();
