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
  },
  en: {
    title: "Incident command", subtitle: "Emergency office board", langButton: "中文", langHint: "Switch to Chinese",
    signInTitle: "Sign in", signInHelp: "Paste your access token. It is kept in this tab only and cleared when the tab closes.",
    tokenLabel: "Access token", signIn: "Sign in", signOut: "Sign out", badToken: "The token is unknown or revoked; enter it again.",
    revoked: "This token has been revoked and its live feed closed. Sign in with a new token.", reconnect: "Reconnect",
    forbidden: "This token may not read the boards.", serverError: "The server is not answering; try again shortly.",
    countsTitle: "Open incidents per level (drills apart)", drillsApart: "Drills are counted apart, not in the levels", overdue: "Overdue", overdueWord: "逾期 OVERDUE", exerciseWord: "演练 EXERCISE",
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
  },
};

// The four warning levels, worst last; the API labels them on rows but not in the counts or filters.
export const LEVELS = [
  { code: "blue", zh: "蓝色", en: "Blue" },
  { code: "yellow", zh: "黄色", en: "Yellow" },
  { code: "orange", zh: "橙色", en: "Orange" },
  { code: "red", zh: "红色", en: "Red" },
];

// Event names arrive as class names ("LevelChanged"); these are the words staff use for them.
const EVENTS = {
  Reported: ["上报", "Reported"], Acknowledged: ["受理（首问负责）", "Acknowledged"],
  CustomerIsolated: ["隔离客户", "Customer isolated"], Apologised: ["致歉", "Apologised"],
  FactsChecked: ["核实情况", "Facts checked"], SolutionProposed: ["提出解决方案", "Solution proposed"],
  CustomerResponded: ["客户回应", "Customer responded"], SolutionCarriedOut: ["执行方案", "Solution carried out"],
  FollowedUp: ["跟踪回访", "Followed up"], Escalated: ["升级", "Escalated"],
  DeadlineExtended: ["延长期限", "Deadline extended"], ClockPaused: ["暂停计时", "Clock paused"],
  ClockResumed: ["恢复计时", "Clock resumed"], NewFactsReceived: ["收到新情况", "New facts received"],
  RetentionAttempted: ["挽留客户", "Retention attempted"], Closed: ["办结", "Closed"],
  Reopened: ["重新打开", "Reopened"], NoteAdded: ["添加备注", "Note added"],
  EntryCorrected: ["更正记录", "Entry corrected"], DeadlineWarned: ["期限预警", "Deadline warning"],
  IdleFlagged: ["长时间无进展", "Flagged as idle"], LevelChanged: ["调整预警级别", "Level changed"],
  AuthorityNotified: ["通报有关部门", "Authority notified"], PlaybookActionDone: ["完成预案动作", "Playbook action done"],
  AnnouncementMade: ["发布公告", "Announcement made"], StoodDown: ["解除应急状态", "Stood down"],
  SecondExtensionApproved: ["批准再次延期", "Second extension approved"],
  WithdrawalRecorded: ["客户撤回投诉", "Withdrawal recorded"],
  AnnouncementApproved: ["批准公告", "Announcement approved"],
  NotificationDue: ["待发通知", "Notification due"], NotificationDelivered: ["通知已送达", "Notification delivered"],
  NotificationFailed: ["通知发送失败（将重试）", "Notification failed (will retry)"],
  NotificationGivenUp: ["通知放弃发送", "Notification given up"],
};

// Field names of event data, for the timeline; values of other fields are shown as sent.
const FIELDS = {
  level: ["级别", "Level"], previous: ["原级别", "Previous level"], reason: ["原因", "Reason"],
  summary: ["摘要", "Summary"], kind: ["类别", "Kind"], outlet: ["网点", "Outlet"], exercise: ["演练", "Exercise"],
  action: ["动作", "Action"], note: ["备注", "Note"], authority: ["通报对象", "Authority"], reference: ["编号", "Reference"],
  channel: ["渠道", "Channel"], category: ["类别", "Category"], solution: ["方案", "Solution"],
  founded: ["属实", "Founded"], findings: ["核实结果", "Findings"], accepted: ["接受", "Accepted"],
  comment: ["意见", "Comment"], satisfied: ["满意", "Satisfied"], audience: ["对象", "Audience"], text: ["内容", "Text"],
  corrects_version: ["更正的版本", "Corrects version"], correction: ["更正内容", "Correction"],
  approver: ["批准人", "Approver"], approved_by: ["批准人", "Approved by"], outcome: ["结果", "Outcome"],
  details: ["详情", "Details"], facts: ["新情况", "Facts"], due_at: ["期限", "Due"], limit_days: ["期限天数", "Limit (days)"],
  delivery_id: ["通知编号", "Delivery id"], rule: ["通知规则", "Rule"], message: ["通知内容", "Message"],
  attempt: ["第几次发送", "Attempt"], attempts: ["发送次数", "Attempts"], answer: ["接收方答复", "Receiver's answer"],
  error: ["失败原因", "Error"], retry_at: ["下次重试", "Retry at"],
  confirmed_by: ["确认方式", "Confirmed"], second_contact: ["二次挽留联系方式", "Contact for a second attempt"],
};

// Roles of the actors in the timeline (the API sends the code only).
const ROLES = {
  branch: ["网点", "Branch"], call_centre: ["95566客服中心", "Call centre"], office: ["应急处理办公室", "Emergency office"],
  auditor: ["审计", "Auditor"], admin: ["系统管理员", "Administrator"], system: ["系统", "System"],
};

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

export function eventLabel(name) {
  const pair = EVENTS[name];
  return pair ? pair[lang === "zh" ? 0 : 1] : name;
}

export function roleLabel(code) {
  const pair = ROLES[code];
  return pair ? pair[lang === "zh" ? 0 : 1] : code;
}

export function fieldLabel(name) {
  const pair = FIELDS[name];
  return pair ? pair[lang === "zh" ? 0 : 1] : name;
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

/** Local wall-clock time; the date is added when it is not today. */
export function clock(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  const time = when.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  if (when.toDateString() === new Date().toDateString()) return time;
  return `${when.toLocaleDateString(locale, { month: "short", day: "numeric" })} ${time}`;
}

/** "in 3 d 2 h" before a deadline, "overdue by 2 h" after it (nowMs is the server's clock). */
export function untilText(iso, nowMs) {
  const seconds = (Date.parse(iso) - nowMs) / 1000;
  return seconds >= 0 ? t("inTime")(duration(seconds)) : t("overdueBy")(duration(-seconds));
}
