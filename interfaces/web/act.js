// Acting from the detail view: what the signed-in role may do on the incident now, each as a form.
// The list and the fields come from GET /incidents/{id}/commands (the commands' own declarations);
// nothing here names a command but the few that ask for a confirmation.

import { ApiError, get, send } from "./api.js";
import { fill, h } from "./dom.js";
import { eventData, personText } from "./detail.js";
import { bothLanguages, clock, eventLabel, pick, t, timeZone, zonedIso } from "./i18n.js";

// Asked "are you sure?" before sending: the office's decisions (the offer's `confirm`, from the
// declaration), and these, which the declaration does not mark as the office's but which change the
// level, end the response or change who answers for the incident.
const CONSEQUENTIAL = new Set(["change_level", "raise_level", "stand_down", "close", "reopen", "hand_over"]);

const newKey = () => `web-${crypto.randomUUID()}`;

/** The panel of one incident's commands; its form survives the detail view's re-rendering. */
export class ActPanel {
  /** unitName(code): a unit's name; names(): the incident's own codes in words (its playbook's actions). */
  constructor(element, { unitName, names }) {
    this.element = element;
    this.unitName = unitName;
    this.names = names;
    this.incidentId = null;
    this.offers = null; // the last /commands answer
    this.open = null; // {offer, version, key, form, stage, note}: the form being filled in
    this.sent = null; // {label, version}: sent, waiting for the feed to bring it back
    this.shownVersion = 0; // the incident's version in the detail view (it moves with the feed)
  }

  /** Show the panel for `incidentId` as of `version`; re-reads what may be done (the state decides). */
  async show(incidentId, version) {
    if (incidentId !== this.incidentId) this.reset(incidentId);
    this.shownVersion = version;
    if (this.sent && version >= this.sent.version) this.sent = { ...this.sent, arrived: true };
    const offers = await get(`/api/v1/incidents/${incidentId}/commands`);
    if (incidentId !== this.incidentId) return;
    this.offers = offers;
    this.render();
  }

  reset(incidentId = null) {
    this.incidentId = incidentId;
    this.offers = null;
    this.open = null;
    this.sent = null;
    fill(this.element);
  }

  /** Open a command's form, its fields preset with `preset` (a playbook action ticked from its list). */
  start(name, preset = {}) {
    const offer = this.offers?.commands.find((c) => c.name === name);
    if (!offer) return;
    // The version the person sees now is the one the command is meant for (If-Match).
    this.open = { offer, version: this.shownVersion, key: newKey(), stage: "edit" };
    this.open.form = this.buildForm(offer, preset);
    this.sent = null;
    this.render();
    this.open.form.querySelector("input, select, textarea")?.focus();
  }

  offered(name) {
    return Boolean(this.offers?.commands.some((c) => c.name === name));
  }

  render() {
    if (!this.offers) return;
    const commands = this.offers.commands;
    fill(
      this.element,
      h("h3", {}, t("actTitle")),
      this.sent ? h("p", { class: "act-status", role: "status" }, this.sent.arrived ? t("actArrived")(this.sent.label, this.sent.version) : t("actWaiting")(this.sent.label)) : null,
      commands.length
        ? h("div", { class: "act-commands" }, commands.map((offer) => this.commandButton(offer)))
        : h("p", { class: "muted" }, t("actNone")),
      this.open ? this.open.form : null,
    );
    if (this.open) this.renderStale();
  }

  commandButton(offer) {
    const current = this.open?.offer.name === offer.name;
    return h(
      "button",
      {
        type: "button",
        class: `act-command${offer.next_step ? " next" : ""}`,
        "data-command": offer.name,
        "aria-pressed": String(current),
        title: offer.next_step ? t("actNextStep") : null,
        onclick: () => this.start(offer.name),
      },
      pick(offer.label),
    );
  }

  // ---- the form ---------------------------------------------------------------------------------

  buildForm(offer, preset) {
    const form = h(
      "form",
      { class: "act-form", "data-command": offer.name, novalidate: true, onsubmit: (event) => this.submit(event) },
      h("h4", {}, pick(offer.label)),
      h("p", { class: "muted act-version" }),
      offer.fields.map((field) => this.fieldRow(field, preset[field.name])),
      h("div", { class: "act-error", role: "alert" }),
      h("div", { class: "act-conflict", role: "alert" }),
      h("div", { class: "act-confirm", hidden: true }),
      h(
        "div",
        { class: "act-buttons" },
        h("button", { type: "submit", class: "act-submit" }, t("actSubmit")),
        h("button", { type: "button", class: "plain", onclick: () => this.cancel() }, t("actCancel")),
      ),
    );
    return form;
  }

  fieldRow(field, preset) {
    const id = `act-${field.name}`;
    const label = `${pick(field.label)}${field.required ? " *" : ""}`;
    if (field.kind === "group") {
      return h(
        "fieldset",
        { class: "act-field", "data-field": field.name },
        h("legend", {}, label),
        field.fields.map((sub) => this.fieldRow({ ...sub, name: `${field.name}.${sub.name}` })),
      );
    }
    const input = this.input(field, id, preset);
    const hint = field.kind === "time" ? h("span", { class: "muted" }, t("actTimeHint")(timeZone())) : null;
    if (field.kind === "boolean" && input.type === "checkbox") {
      return h("div", { class: "act-field check", "data-field": field.name }, input, h("label", { for: id }, label));
    }
    return h("div", { class: "act-field", "data-field": field.name }, h("label", { for: id }, label), input, hint);
  }

  input(field, id, preset) {
    const common = { id, name: field.name, "data-kind": field.kind, required: field.required };
    if (field.kind === "choice") {
      const options = field.choices.map((c) => h("option", { value: c.code }, pick(c)));
      const select = h("select", common, h("option", { value: "" }, t("actChoose")), options);
      select.value = preset ?? field.default ?? "";
      return select;
    }
    if (field.kind === "boolean") {
      if (field.required || field.nullable) {
        // Yes, no, or (not required) not said: a box left unticked would say "no" for the person.
        return h("select", common, h("option", { value: "" }, t("actChoose")), h("option", { value: "true" }, t("yes")), h("option", { value: "false" }, t("no")));
      }
      return h("input", { ...common, type: "checkbox", checked: field.default === true });
    }
    if (field.kind === "time") return h("input", { ...common, type: "datetime-local", step: "1" });
    if (field.kind === "integer") return h("input", { ...common, type: "number", step: "1" });
    if (field.kind === "line") return h("input", { ...common, type: "text", value: preset ?? field.default ?? "" });
    const area = h("textarea", { ...common, rows: "2" });
    area.value = preset ?? field.default ?? "";
    return area;
  }

  /** The body as the command takes it: what was left empty is not sent (the server's default applies). */
  body() {
    const body = {};
    for (const input of this.open.form.querySelectorAll("[data-kind]")) {
      const value = this.read(input);
      if (value === undefined) continue;
      const [name, sub] = input.name.split(".");
      if (sub) body[name] = { ...(body[name] || {}), [sub]: value };
      else body[name] = value;
    }
    return body;
  }

  read(input) {
    const kind = input.dataset.kind;
    if (input.type === "checkbox") return input.checked;
    if (input.value === "") return undefined;
    if (kind === "boolean") return input.value === "true";
    if (kind === "integer") return Number(input.value);
    if (kind === "time") return zonedIso(input.value);
    return input.value;
  }

  cancel() {
    this.open = null;
    this.render();
  }

  // ---- sending ------------------------------------------------------------------------------------

  submit(event) {
    event.preventDefault();
    const open = this.open;
    if (!open || open.stage === "sending") return;
    // A required field left empty is said at once, before any "are you sure?"; the rest is the server's.
    const empty = open.offer.fields.find((field) => field.required && this.body()[field.name] === undefined);
    if (empty) return this.showError(open, { code: "invalid_input", field: empty.name, message: t("actRequired") });
    const consequential = open.offer.confirm || CONSEQUENTIAL.has(open.offer.name);
    if (consequential && open.stage !== "confirmed") return this.askConfirmation(open);
    return this.post(open);
  }

  askConfirmation(open) {
    const box = open.form.querySelector(".act-confirm");
    box.hidden = false;
    fill(
      box,
      h("p", {}, t("actConfirm")(pick(open.offer.label), open.version)),
      h("button", { type: "button", class: "act-confirm-yes", onclick: () => {
        open.stage = "confirmed";
        box.hidden = true;
        open.form.requestSubmit();
      } }, t("actConfirmYes")),
      " ",
      h("button", { type: "button", class: "plain", onclick: () => { box.hidden = true; } }, t("actCancel")),
    );
    box.querySelector(".act-confirm-yes").focus();
  }

  async post(open) {
    open.stage = "sending";
    this.showError(open, null);
    open.form.querySelector(".act-submit").disabled = true;
    try {
      const answer = await send(open.offer.path, this.body(), open.version, open.key);
      if (this.open !== open) return;
      // The view is not drawn from this answer: it waits for the feed to bring the change back.
      this.sent = { label: pick(open.offer.label), version: answer.version, arrived: this.shownVersion >= answer.version };
      this.open = null;
      this.render();
    } catch (error) {
      if (this.open !== open) return;
      open.stage = "edit";
      open.form.querySelector(".act-submit").disabled = false;
      if (!(error instanceof ApiError)) {
        this.showError(open, { code: "unavailable", message: error.message }); // the same key retries safely
        return;
      }
      // Answered: the next attempt is a new command, unless the store was out (503: retry the same key).
      if (error.status !== 503) open.key = newKey();
      if (error.code === "version_conflict") await this.showConflict(open).catch(() => this.showError(open, error));
      else this.showError(open, error);
    }
  }

  /** Someone else acted since the version the person saw: show what they did, and act on the latest. */
  async showConflict(open) {
    const history = await get(`/api/v1/incidents/${this.incidentId}/history`, { from_version: open.version + 1 });
    if (this.open !== open) return;
    const events = history.events;
    open.version = events.length ? events.at(-1).version : open.version;
    fill(
      open.form.querySelector(".act-conflict"),
      h("p", {}, h("strong", {}, bothLanguages("errors", "version_conflict")), " ", t("actConflictHelp")(open.version)),
      h("ul", { class: "act-changes" }, events.map((event) => this.changeItem(event))),
    );
    this.renderStale();
  }

  showError(open, error) {
    for (const marked of open.form.querySelectorAll("[aria-invalid]")) {
      marked.removeAttribute("aria-invalid");
      marked.removeAttribute("aria-describedby");
    }
    const box = open.form.querySelector(".act-error");
    if (!error) {
      fill(box);
      fill(open.form.querySelector(".act-conflict"));
      return;
    }
    const field = error.field ? open.form.querySelector(`[name="${error.field}"]`) : null;
    field?.setAttribute("aria-invalid", "true");
    field?.setAttribute("aria-describedby", "act-error-text");
    // Both languages, and the field by its name in both: whoever reads it knows what to correct.
    const named = error.field ? `${bothLanguages("fields", error.field)}${t("colon")}` : "";
    fill(box, h("p", { id: "act-error-text" }, h("strong", {}, named, bothLanguages("errors", error.code)), " — ", error.message));
    field?.focus();
  }

  /** While a form is open the incident may move on: say so (sending will then be a conflict). */
  renderStale() {
    const open = this.open;
    const note = open.form.querySelector(".act-version");
    const moved = this.shownVersion > open.version;
    note.textContent = t("actVersion")(open.version) + (moved ? ` ${t("actMoved")(this.shownVersion)}` : "");
    note.classList.toggle("moved", moved);
  }

  changeItem(event) {
    return h(
      "li",
      { "data-version": event.version },
      h("time", { datetime: event.occurred_at }, clock(event.occurred_at)),
      " ",
      h("strong", {}, `v${event.version} ${eventLabel(event.event)}`),
      " ",
      h("span", { class: "muted" }, personText(event.actor || {}, this.unitName)),
      eventData(event.data, this.names()),
    );
  }
}
