// The find page's own words in Chinese and English; the domain's labels come from the API, the detail
// view's words from i18n.js.

export const FIND_WORDS = {
  zh: {
    title: "查找事件", subtitle: "含已关闭的投诉与突发事件", board: "返回看板", langButton: "English",
    signInTitle: "登录", tokenLabel: "访问令牌", signIn: "登录", signOut: "退出", close: "关闭",
    filters: "查找条件", text: "摘要关键词", textHint: "摘要中的文字，如：假币",
    unit: "机构", type: "类型", kind: "类别", level: "级别", status: "状态", exercise: "演练",
    from: "上报日期自", to: "上报日期至", search: "查找", clear: "清除条件",
    all: "全部", open: "未关闭（含已解除）", closed: "已关闭", real: "仅真实事件", drills: "仅演练",
    results: "查找结果", incident: "事件", outlet: "网点", reported: "上报时间",
    none: "没有符合条件的事件。", more: "加载更多", loading: "查找中…",
    found: (n, more) => (more ? `已显示 ${n} 条，还有更多` : `共 ${n} 条`),
    closedAt: (time) => `关闭于 ${time}`,
    refused: (field, label, message) =>
      `查找条件有误：参数“${field}”${label ? `（${label}）` : ""}不被接受。服务器说明：${message}`,
    refusedNoField: (message) => `查找被拒绝。服务器说明：${message}`,
    badToken: "令牌无效或已吊销，请重新输入。", forbidden: "此令牌无权查找事件。",
    serverError: "服务器暂时无法响应，请稍后重试。",
  },
  en: {
    title: "Find incidents", subtitle: "complaints and emergencies, closed ones too", board: "Back to the board", langButton: "中文",
    signInTitle: "Sign in", tokenLabel: "Access token", signIn: "Sign in", signOut: "Sign out", close: "Close",
    filters: "Search", text: "Words in the summary", textHint: "text of the summary, e.g. counterfeit",
    unit: "Unit", type: "Type", kind: "Kind", level: "Level", status: "Status", exercise: "Drill",
    from: "Reported from", to: "Reported to", search: "Search", clear: "Clear",
    all: "All", open: "Not closed (stood down too)", closed: "Closed", real: "Real incidents only", drills: "Drills only",
    results: "Results", incident: "Incident", outlet: "Outlet", reported: "Reported",
    none: "No incident matches.", more: "Show more", loading: "Searching…",
    found: (n, more) => (more ? `${n} shown, more to come` : `${n} found`),
    closedAt: (time) => `closed ${time}`,
    refused: (field, label, message) =>
      `The search was refused: the parameter “${field}”${label ? ` (${label})` : ""} is not accepted. The server says: ${message}`,
    refusedNoField: (message) => `The search was refused. The server says: ${message}`,
    badToken: "The token is unknown or revoked; enter it again.", forbidden: "This token may not search incidents.",
    serverError: "The server is not answering; try again shortly.",
  },
};

// The API's parameter names, for the field an error names: said as the form's label says it.
export const PARAMETER_LABELS = {
  q: "text", unit: "unit", type: "type", kind: "kind", level: "level", status: "status", exercise: "exercise",
  reported_from: "from", reported_to: "to",
};
