// An auditor's full read of the personal data: only with a reason, recorded on the incident first.
// Shown where the incident's view holds values back ("<personal>"): the desks that answer the
// customer see them already, and a desk that may not read them in full is told so by the server.

import { ApiError, send } from "./api.js";
import { fill, h } from "./dom.js";
import { bothLanguages, t } from "./i18n.js";

const MASKED = "<personal>";
const MIN_REASON = 10; // as domain/personal.py: MIN_REVEAL_REASON

function heldBack(incident) {
  return Object.values(incident.details || {}).some((value) => value === MASKED);
}

function valueText(value) {
  if (value && typeof value === "object") return Object.entries(value).filter(([, v]) => v).map(([k, v]) => `${bothLanguages("fields", k)}${t("colon")}${v}`).join("；");
  return value === null || value === "" ? "—" : String(value);
}

export class RevealPanel {
  constructor(host) {
    this.host = host;
    this.incidentId = null;
    this.shown = null; // the answer of a read, kept while the same incident is open
  }

  reset(id = null) {
    this.incidentId = id;
    this.shown = null;
    fill(this.host);
  }

  show(incident) {
    if (incident.incident_id !== this.incidentId) this.reset(incident.incident_id);
    if (this.shown) return; // a read in full stays on screen; the feed's redraws do not hide it
    if (!heldBack(incident)) {
      fill(this.host);
      return;
    }
    const reason = h("textarea", { name: "reason", rows: 2, minlength: MIN_REASON, maxlength: 2000, required: true });
    const error = h("div", { class: "act-error", role: "alert" });
    const form = h(
      "form",
      { class: "reveal-form", hidden: true },
      h("label", {}, t("revealReason"), reason),
      h("p", { class: "muted" }, t("revealRecorded")),
      error,
      h("button", { type: "submit", class: "reveal-send" }, t("revealSend")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.read(incident, reason.value, form, error).catch(() => {});
    });
    const open = h("button", { type: "button", class: "reveal-open" }, t("revealOpen"));
    open.addEventListener("click", () => {
      form.hidden = false;
      open.hidden = true;
      reason.focus();
    });
    fill(this.host, h("h3", {}, t("personalTitle")), h("p", { class: "muted" }, t("personalHeld")), open, form);
  }

  async read(incident, reason, form, error) {
    const button = form.querySelector(".reveal-send");
    button.disabled = true;
    fill(error);
    try {
      const key = crypto.randomUUID();
      const answer = await send(`/api/v1/incidents/${incident.incident_id}/personal-data/reveal`, { reason }, incident.version, key);
      if (this.incidentId !== incident.incident_id) return;
      this.shown = answer;
      fill(
        this.host,
        h("h3", {}, t("personalTitle")),
        h("p", { class: "muted" }, t("revealDone")(answer.version)),
        h("dl", { class: "facts personal" }, Object.entries(answer.current).map(([name, value]) => [h("dt", {}, bothLanguages("fields", name)), h("dd", {}, valueText(value))])),
        h(
          "ul",
          { class: "personal-recorded" },
          answer.recorded.map((entry) => h("li", {}, `v${entry.version} ${bothLanguages("events", entry.event)} · ${bothLanguages("fields", entry.field)}${t("colon")}${valueText(entry.value)}`)),
        ),
      );
    } catch (failure) {
      button.disabled = false;
      const known = failure instanceof ApiError ? failure : { code: "unavailable", field: null, message: failure.message };
      const named = known.field ? `${bothLanguages("fields", known.field)}${t("colon")}` : "";
      fill(error, h("p", {}, h("strong", {}, named, bothLanguages("errors", known.code)), " — ", known.message));
    }
  }
}
