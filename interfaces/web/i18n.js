// Chinese and English: the page's own words, and formatting of times and durations.
// Labels of the domain (kinds, steps, actions, statuses, units) come from the API's zh/en pairs;
// this file holds only what the API does not label.

const STORAGE_KEY = "incident.lang";

const WORDS = {
  zh: {
    title: "网点应急指挥", subtitle: "应急处理办公室看板", langButton: "English", langHint: "切换到英文",
    signInTitle: "登录", signInHelp: "粘贴您的访问令牌。令牌只保存在本标签页中，关闭即清除。",
    tokenLabel: "访问令牌", signIn: "登录", signOut: "退出", badToken: "令牌无效或已吊销，请重新输入。",
    revoked: "此令牌已被吊销，实时推送已断开。请使用新的令牌登录。", reconnect: "重新连接",
    forbidden: "此令牌无权查看看板。", serverError: "服务器暂时无法响应，请稍后重试。",
    countsTitle: "各级别未结事件数（不含演练）", drillsApart: "演练另计，不计入各级别", overdue: "逾期", overdueWord: "逾期 OVERDUE", exerciseWord: "演练 EXERCISE",
    personalTitle: "个人信息", personalHeld: "客户的个人信息已隐藏。审计查阅须说明理由，查阅将记录在案（谁、何时、为何）。",
    revealOpen: "查阅个人信息", revealReason: "查阅理由", revealRecorded: "理由至少 10 个字，将与您的身份和时间一起记入该事件。",
    revealSend: "记录并查阅", revealDone: (v) => `查阅已记录为该事件第 ${v} 版。`,
    exerciseBanner: "这是演练，不是真实事件", filtersLabel: "筛选", unit: "机构", type: "类型", level: "级别",
    all: "全部", clearFilters: "清除筛选", complaint: "投诉", emergency: "突发事件",
    openIncidents: "未结事件", shown: (n, total) => `显示 ${n} / 共 ${total} 条`,
    incident: "事件", outlet: "网点", progress: "进展", age: "已持续", due: "期限", lastEvent: "最近动态",
    noIncidents: "没有符合条件的未结事件。", wallTitle: "网点墙", wallHelp: "按最高未结级别着色；点击可筛选。",
    openCount: (n) => `${n} 起`, includesDrills: (n) => `含演练 ${n} 起`, next: "下一步", current: "当前步骤", openActions: "待办动作",
    doneActions: "已完成动作", noActions: "无", timeline: "时间线", status: "状态", openedAt: "上报时间",
    lastEventAt: "最近动态时间", dueAt: "处理期限", summary: "摘要", path: "所属机构", close: "关闭",
    dismiss: "知道了", loading: "加载中…", by: "操作人", clockPaused: "计时暂停",
    lateWord: "补录 LATE", recordedAt: "记录于", correctedIn: (v) => `已于 v${v} 更正`, corrects: (v, name) => `更正 v${v}（${name}）`,
    conn: {
      connecting: "正在连接实时推送…", live: "已连接 · 实时", reconnecting: "连接中断，正在重连",
      retrying: "正在重连…", offline: "离线", offlineNow: "离线 · 等待网络恢复", retryIn: (s) => ` · ${s} 秒后重试`,
      refused: "此令牌打开的实时推送连接已达上限：请关闭其他看板页面后点击“重新连接”。",
      busy: "服务器实时推送连接已满，稍后自动重试",
    },
    stale: (time) => `实时更新已中断，下方为 ${time} 的数据。`,
    boardsStale: (since, stale, position, head) =>
      (stale.stuck_at === null
        ? `看板自 ${since} 起未更新（${stale.reason}）。`
        : `看板自 ${since} 起未更新：日志位置 ${stale.stuck_at} 的事件无法处理（${stale.reason}）。`) +
      `看板只显示到位置 ${position}（最新为 ${head}），此后的事件不在看板上；请通知系统管理员。`,
    caughtUp: (n) => `重连后补收 ${n} 条事件`, nothingMissed: "已重新连接，没有漏收事件",
    more: (n) => `另有 ${n} 条`,
    ago: (d) => `${d}前`, inTime: (d) => `${d}后`, overdueBy: (d) => `已逾期 ${d}`,
    units: { d: "天", h: "小时", m: "分", s: "秒" },
    yes: "是", no: "否", colon: "：", comma: "，", aside: (text) => `（${text}）`,
    actTitle: "可执行操作", actNone: "您现在对此事件没有可执行的操作。", actNextStep: "下一步",
    actSubmit: "提交", actCancel: "取消", actChoose: "— 请选择 —", actRequired: "必填 required",
    actTimeHint: (zone) => `按 ${zone} 时间；留空即现在`,
    actConfirm: (label, v) => `确认“${label}”？此操作针对版本 v${v}，将记录在案，不能撤销。`, actConfirmYes: "确认提交",
    actConflictHelp: (v) => `以下是别人所做的更改。您填写的内容已保留，现针对最新版本 v${v}：请核对后重新提交。`,
    actVersion: (v) => `针对版本 v${v}`, actMoved: (v) => `（事件已更新到 v${v}，提交时将显示更改）`,
    actWaiting: (label) => `已提交“${label}”，等待实时推送…`, actArrived: (label, v) => `“${label}”已记录（v${v}）`,
    tick: "完成", owner: "首问负责人", inCharge: "现场负责人", handover: "待接收的移交",
    alertsTitle: (n) => `${n} 起红色或橙色事件尚未查看`, alertsSeen: "全部已查看",
    soundOn: "声音提示：开", soundOff: "声音提示：关", notifyAsk: "开启桌面通知",
  },
  en: {
    title: "Incident command", subtitle: "Emergency office board", langButton: "中文", langHint: "Switch to Chinese",
    signInTitle: "Sign in", signInHelp: "Paste your access token. It is kept in this tab only and cleared when the tab closes.",
    tokenLabel: "Access token", signIn: "Sign in", signOut: "Sign out", badToken: "The token is unknown or revoked; enter it again.",
    revoked: "This token has been revoked and its live feed closed. Sign in with a new token.", reconnect: "Reconnect",
    forbidden: "This token may not read the boards.", serverError: "The server is not answering; try again shortly.",
    countsTitle: "Open incidents per level (drills apart)", drillsApart: "Drills are counted apart, not in the levels", overdue: "Overdue", overdueWord: "逾期 OVERDUE", exerciseWord: "演练 EXERCISE",
    personalTitle: "Personal data", personalHeld: "The customer's personal data is held back. An auditor reads it only with a reason, and the read is recorded (who, when, why).",
    revealOpen: "Read the personal data", revealReason: "Why it must be read", revealRecorded: "At least 10 characters; recorded on the incident with who you are and when.",
    revealSend: "Record and read", revealDone: (v) => `The read is recorded as version ${v} of the incident.`,
    exerciseBanner: "This is a drill, not a real incident", filtersLabel: "Filters", unit: "Unit", type: "Type", level: "Level",
    all: "All", clearFilters: "Clear filters", complaint: "Complaint", emergency: "Emergency",
    openIncidents: "Open incidents", shown: (n, total) => `showing ${n} of ${total}`,
    incident: "Incident", outlet: "Outlet", progress: "Progress", age: "Open for", due: "Due", lastEvent: "Latest",
    noIncidents: "No open incidents match.", wallTitle: "Branch wall", wallHelp: "Coloured by the worst open level; click to filter.",
    openCount: (n) => `${n} open`, includesDrills: (n) => `incl. ${n} drill${n === 1 ? "" : "s"}`, next: "Next", current: "Current step", openActions: "Open actions",
    doneActions: "Done actions", noActions: "none", timeline: "Timeline", status: "Status", openedAt: "Reported",
    lastEventAt: "Latest event", dueAt: "Due", summary: "Summary", path: "Unit", close: "Close",
    dismiss: "Dismiss", loading: "Loading…", by: "By", clockPaused: "clock paused",
    lateWord: "补录 LATE", recordedAt: "Recorded", correctedIn: (v) => `Corrected in v${v}`, corrects: (v, name) => `Corrects v${v} (${name})`,
    conn: {
      connecting: "Connecting to the live feed…", live: "Connected · live", reconnecting: "Connection lost; reconnecting",
      retrying: "Reconnecting…", offline: "Offline", offlineNow: "Offline · waiting for the network", retryIn: (s) => ` · retry in ${s} s`,
      refused: "Too many live feeds are open with this token: close another board tab, then choose Reconnect.",
      busy: "The server has all the live feeds it can serve; retrying later",
    },
    stale: (time) => `Live updates interrupted; the data below is as of ${time}.`,
    boardsStale: (since, stale, position, head) =>
      (stale.stuck_at === null
        ? `Boards stale since ${since} (${stale.reason}). `
        : `Boards stale since ${since}: the event at log position ${stale.stuck_at} cannot be processed (${stale.reason}). `) +
      `The board shows the log up to position ${position} of ${head}; later events are not on it. Tell the system administrator.`,
    caughtUp: (n) => `${n} missed event${n === 1 ? "" : "s"} received after reconnecting`,
    nothingMissed: "Reconnected; nothing was missed",
    more: (n) => `and ${n} more`,
    ago: (d) => `${d} ago`, inTime: (d) => `in ${d}`, overdueBy: (d) => `overdue by ${d}`,
    units: { d: "d", h: "h", m: "min", s: "s" },
    yes: "yes", no: "no", colon: ": ", comma: ", ", aside: (text) => ` (${text})`,
    actTitle: "What you may do", actNone: "Nothing you may do on this incident now.", actNextStep: "The next expected step",
    actSubmit: "Send", actCancel: "Cancel", actChoose: "— choose —", actRequired: "必填 required",
    actTimeHint: (zone) => `${zone} time; empty: now`,
    actConfirm: (label, v) => `Send “${label}”? It acts on version ${v}, goes on the record and cannot be undone.`, actConfirmYes: "Yes, send",
    actConflictHelp: (v) => `This is what changed. Your entries are kept, now for the latest version ${v}: check them and send again.`,
    actVersion: (v) => `For version ${v}`, actMoved: (v) => `(the incident has moved on to version ${v}: sending will show what changed)`,
    actWaiting: (label) => `“${label}” sent; waiting for the live feed…`, actArrived: (label, v) => `“${label}” recorded (version ${v})`,
    tick: "Done", owner: "Owner", inCharge: "In charge", handover: "Handover waiting",
    alertsTitle: (n) => `${n} red or orange incident${n === 1 ? "" : "s"} not yet seen`, alertsSeen: "Mark all seen",
    soundOn: "Sound: on", soundOff: "Sound: off", notifyAsk: "Turn on notifications",
  },
};

// The four warning levels, worst last; the API labels them on rows but not in the counts or filters.
export const LEVELS = [
  { code: "blue", zh: "蓝色", en: "Blue" },
  { code: "yellow", zh: "黄色", en: "Yellow" },
  { code: "orange", zh: "橙色", en: "Orange" },
  { code: "red", zh: "红色", en: "Red" },
];

// The words for events, fields, roles, commands, error codes and coded values come from the API
// (GET /api/v1/vocabulary, domain/vocabulary.py): one source for every screen.
let vocabulary = { commands: {}, events: {}, fields: {}, errors: {}, values: {} };

export function setVocabulary(served) {
  vocabulary = served;
}

// The bank's zone (GET /web/settings): every time is shown in it, with its date and its offset.
let zone = "Asia/Shanghai";

export function setZone(name) {
  zone = name;
}

export const timeZone = () => zone;

export function initialLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

let lang = "zh";

export function setLang(value) {
  lang = value;
  localStorage.setItem(STORAGE_KEY, value);
  document.documentElement.lang = value === "zh" ? "zh-CN" : "en";
}

export const currentLang = () => lang;

/** The page's own word for `key` (a function for words that take numbers). */
export function t(key) {
  return WORDS[lang][key];
}

/** One side of an API label such as {"zh": "火灾", "en": "Fire"} or {"name_zh", "name_en"}. */
export function pick(label) {
  if (!label) return "";
  return label[lang] ?? label[`name_${lang}`] ?? label.code ?? "";
}

export function levelLabel(code) {
  return pick(LEVELS.find((level) => level.code === code)) || code;
}

const word = (pair, fallback) => (pair ? pair[lang] : fallback);

export const eventLabel = (name) => word(vocabulary.events[name], name);
export const fieldLabel = (name) => word(vocabulary.fields[name], name);
export const commandLabel = (name) => word(vocabulary.commands[name], name);
export const roleLabel = (code) => word(vocabulary.values.role?.[code], code);

/** A coded value of a field (an authority, an audience, a post…) in words; null if it is not one. */
export function valueLabel(field, code) {
  const pair = vocabulary.values[field]?.[code];
  return pair ? pair[lang] : null;
}

/** Both languages whatever the page's: an error must be read by whoever is at the screen. */
export function bothLanguages(table, code) {
  const pair = vocabulary[table][code];
  return pair ? `${pair.zh} ${pair.en}` : code;
}

/** "2 小时 5 分" / "2 h 5 min": the two largest units are enough to act on. */
export function duration(seconds) {
  const u = t("units");
  const s = Math.max(0, Math.round(seconds));
  const parts = [[Math.floor(s / 86400), u.d], [Math.floor(s / 3600) % 24, u.h], [Math.floor(s / 60) % 60, u.m], [s % 60, u.s]];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return `0 ${u.s}`;
  return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`).join(" ");
}

const locale = () => (lang === "zh" ? "zh-CN" : "en-GB");

const formats = new Map(); // building an Intl format costs more than using it: one per language, zone and shape

function format(options) {
  const key = `${lang} ${zone} ${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(locale(), { timeZone: zone, ...options }));
  return formats.get(key);
}

/** The date, the time and the zone's offset, in the bank's zone: "12月3日 19:47:53 GMT+8"; the year when not this one. */
export function clock(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  const year = (d) => format({ year: "numeric" }).format(d);
  const date = format({ month: "short", day: "numeric", ...(year(when) !== year(new Date()) ? { year: "numeric" } : {}) }).format(when);
  const time = format({ hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(when);
  const offset = format({ timeZoneName: "short" }).formatToParts(when).find((part) => part.type === "timeZoneName").value;
  return `${date} ${time} ${offset}`;
}

/** The zone's offset at an instant, as ISO 8601 wants it ("+08:00"). */
function offsetAt(ms) {
  const name = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(new Date(ms)).find((part) => part.type === "timeZoneName").value; // "GMT+08:00", "GMT"
  return name === "GMT" ? "+00:00" : name.slice(3);
}

/** A datetime-local input's value ("2026-12-03T09:30"), read in the bank's zone, as ISO 8601 with its offset. */
export function zonedIso(local) {
  // The offset of the instant read as UTC is the zone's offset then, but within hours of a DST change.
  const offset = offsetAt(Date.parse(`${local}Z`));
  return `${local.length === 16 ? `${local}:00` : local}${offset}`;
}

/** "in 3 d 2 h" before a deadline, "overdue by 2 h" after it (nowMs is the server's clock). */
export function untilText(iso, nowMs) {
  const seconds = (Date.parse(iso) - nowMs) / 1000;
  return seconds >= 0 ? t("inTime")(duration(seconds)) : t("overdueBy")(duration(-seconds));
}
