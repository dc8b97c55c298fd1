// The leaders' workspace at `/`: the quarter at a glance (period header, goals with their key results and
// check-ins, team contribution against the previous period, charts) and the actions leaders take on it, all through
// the public GraphQL API at /graphql with the viewer's bearer token. Plain ES modules, no build step; charts by the
// vendored Chart.js (api/static/vendor/).
//
// The token comes from the URL fragment (`/#token=…`, removed from the address at once and kept in this tab's
// session storage), from session storage, or from the form. `#period=2026-Q4` picks the period.
import { AuthError, Live, codeOf, describe, getToken, gql, hasStorage, missingField, probeFeatures, setToken }
  from "./workspace/api.js";
import { renderContribution } from "./workspace/contribution.js";
import { el, formatDate, formatDecimal, formatRatio, formatShare, formatTime, formatValue, humanize, statusBadge }
  from "./workspace/format.js";
import { busy, clearErrors, field, formError, isBusy, refusals, select, showErrors } from "./workspace/forms.js";
import { renderAttributionChart, renderFunnelChart, renderProgressChart, renderSlaChart, renderTeamChart }
  from "./workspace/insights.js";
import { chartNote, drawChart } from "./workspace/charts.js";
import { BOOT, CHECK_IN, CLOSE, CONTRIBUTION, KR_CREATE, KR_UPDATE, OBJECTIVE_CREATE, PERIOD, PREVIEW, ROLL_OVER, SIGN_OFF,
         objectiveQuery, objectivesQuery }
  from "./workspace/queries.js";

const $ = (id) => document.getElementById(id);

// ---- state --------------------------------------------------------------------------------------------------
const state = { features: null, viewer: null, teams: [], periods: [], period: null, info: null, objectives: [],
                open: new Set(), generation: 0 };
let root, periodSelect, live;

function mayLead() { return state.viewer && ["LEADER", "ADMIN"].includes(state.viewer.role); }
function isClosed() { return state.info && state.info.status === "CLOSED"; }

// ---- the token and the address ------------------------------------------------------------------------------
function parseFragment() {
  const out = {};
  const hash = window.location.hash.replace(/^#/, "");
  for (const part of hash ? hash.split("&") : []) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    try { out[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1)); }
    catch (e) { /* a malformed escape: ignore the part */ }
  }
  return out;
}

function setFragment(period) {
  const url = window.location.pathname + window.location.search + (period ? "#period=" + encodeURIComponent(period) : "");
  window.history.replaceState(null, "", url);
}

function setState(name, message) {
  root.setAttribute("data-state", name);
  $("message").textContent = message || "";
}

const SECTIONS = ["period-section", "goals-section", "contribution-section", "charts-section"];

function askForToken(message) {
  setToken(null);
  state.generation++;
  if (live) live.stop();
  $("period-form").hidden = true;
  for (const id of SECTIONS) $(id).hidden = true;
  $("token-form").hidden = false;
  setState("needs-token", message || "Paste a token to open the dashboard.");
  $("token-input").value = "";
  $("token-input").focus();
}

function fail(error) {
  if (error instanceof AuthError) askForToken(error.message + " Paste another token.");
  else setState("error", "Could not load the dashboard: " + (error && error.message || error));
}

// ---- the period header --------------------------------------------------------------------------------------
function expectedNow() {
  const withSeries = state.objectives[0];
  if (withSeries) return withSeries.expectedProgress;
  const start = Date.parse(state.info.start), end = Date.parse(state.info.end), now = Date.now();
  return Math.max(0, Math.min(1, (now - start) / (end - start)));
}

// `withActions`: also redraw the roll-over and close controls (not on a live update: a close preview stays open).
function renderPeriod(company, withActions = true) {
  const p = state.info;
  const totalDays = Math.round((Date.parse(p.end) - Date.parse(p.start)) / 86400000);
  const expected = isClosed() ? 1 : expectedNow();
  const daysLeft = Math.max(0, Math.round(totalDays * (1 - expected)));
  $("period-title").textContent = "Period " + p.key;
  const banner = $("closed-banner");
  banner.hidden = !isClosed();
  banner.textContent = isClosed() ? `${p.key} is closed: the scores, key results and pay statements below are `
    + "frozen as they stood at the close." : "";
  const facts = [
    ["Status", isClosed() ? "closed" : "open" + (p.isCurrent ? " (current)" : ""), "status"],
    ["Dates", `${formatDate(p.start)} to ${formatDate(new Date(Date.parse(p.end) - 1).toISOString())}`, "dates"],
    ["Days left", isClosed() ? "0 (closed)" : `${daysLeft} of ${totalDays}`, "daysLeft"],
    ["Expected progress", formatRatio(expected), "expectedProgress"],
    ["Company bookings", company ? formatDecimal(company.bookings) : "hidden", "bookings"],
    ["Company pipeline", company ? formatDecimal(company.pipeline) : "hidden", "pipeline"],
  ];
  if (p.closeSignOffs.length) {
    facts.push(["Sign-offs", p.closeSignOffs.map((s) => `${humanize(s.side)} by ${s.person ? s.person.name : "?"}`)
      .join(", "), "signOffs"]);
  }
  $("period-facts").replaceChildren(...facts.map(([label, value, key]) =>
    el("div", { class: "fact" }, el("dt", { text: label }), el("dd", { dataset: { fact: key }, text: value }))));
  $("period-facts").dataset.expected = String(expected);

  // The company's bookings against the bookings key results of objectives owned by two or more teams.
  const shared = [];
  for (const o of state.objectives) {
    if (o.owners.length < 2) continue;
    for (const k of o.keyResults) {
      if (k.metric && ["BOOKINGS", "ATTRIBUTED_BOOKINGS"].includes(k.metric.name)) shared.push([o, k]);
    }
  }
  const box = $("bookings-goals");
  if (!shared.length) {
    box.replaceChildren(el("p", { class: "hint", text: "No objective owned by two or more teams has a bookings key result this period." }));
  } else {
    box.replaceChildren(el("h3", { text: "Shared bookings goals" }), el("ul", { class: "bookings" }, shared.map(([o, k]) =>
      el("li", { dataset: { krId: k.id } },
         el("strong", { text: k.title }), ` (${humanize(k.metric.name)}, ${o.title}): `,
         el("span", { dataset: { field: "current" }, text: formatValue(k.current, k.unit) }), " of ",
         el("span", { dataset: { field: "target" }, text: formatValue(k.target, k.unit) }),
         ` · ${k.progress === null ? "no progress" : formatRatio(k.progress)} · `, statusBadge(k.status),
         company && Number(k.target) > 0 ? el("span", { class: "hint", dataset: { field: "companyShare" },
           text: ` · the company's bookings are ${formatRatio(Number(company.bookings) / Number(k.target))} of its target` }) : null))));
  }
  if (withActions) renderPeriodActions();
  $("period-section").hidden = false;
}

// ---- goals ----------------------------------------------------------------------------------------------------
function progressBar(value, expected) {
  const bar = el("span", { class: "bar", "aria-hidden": "true" }, el("span", { class: "fill" }));
  bar.firstChild.style.width = Math.max(0, Math.min(1, value || 0)) * 100 + "%";
  if (expected !== undefined && expected !== null) {
    const mark = el("span", { class: "expected-mark" });
    mark.style.left = Math.max(0, Math.min(1, expected)) * 100 + "%";
    bar.appendChild(mark);
  }
  return bar;
}

function krRow(o, k) {
  const last = (k.last || [])[0];
  const cells = [
    el("th", { scope: "row", dataset: { field: "title", value: k.title } }, k.title,
       el("span", { class: "hint kr-kind", text: ` ${humanize(k.kind)} · ${k.source === "METRIC" ? humanize(k.metric.name) : "manual"}` })),
    el("td", { class: "num", dataset: { field: "current", label: "Current", value: k.current === null ? "" : k.current },
               text: formatValue(k.current, k.unit) }),
    el("td", { class: "num", dataset: { field: "target", label: "Target", value: k.target }, text: formatValue(k.target, k.unit) }),
    el("td", { class: "num", dataset: { field: "progress", label: "Progress", value: k.progress === null ? "" : k.progress } },
       k.progress === null ? "none" : formatRatio(k.progress), progressBar(k.progress)),
    el("td", { class: "num", dataset: { field: "confidence", label: "Confidence", value: last && last.confidence !== null ? last.confidence : "" },
               text: last && last.confidence !== null ? formatRatio(last.confidence) : "none" }),
    el("td", { dataset: { field: "status", label: isClosed() ? "Status at close" : "Status", value: k.status || "" } },
       statusBadge(k.status)),
  ];
  return el("tr", { dataset: { krId: k.id, title: k.title } }, cells);
}

function objectiveCard(o) {
  const open = state.open.has(o.id);
  const detailId = "detail-" + o.id.replace(/[^A-Za-z0-9]/g, "");
  const closed = isClosed();
  const summary = el("div", { class: "objective-summary" },
    el("span", { class: "owners", dataset: { field: "owners", value: JSON.stringify(o.owners.map((s) => ({ team: s.team.name, share: s.share }))) } },
       o.owners.map((s) => el("span", { class: "chip", text: `${s.team.name} ${formatShare(s.share)}` }))),
    el("span", { class: "figure-line" },
       el("span", { dataset: { field: "progress", value: o.progress } }, "Progress ", el("strong", { text: formatRatio(o.progress) })),
       progressBar(o.progress, o.expectedProgress),
       el("span", { class: "hint", dataset: { field: "expectedProgress", value: o.expectedProgress } },
          ` expected ${formatRatio(o.expectedProgress)}`)),
    closed
      ? el("span", { class: "score", dataset: { field: "score", value: o.score === null ? "" : o.score } },
           "Final score ", el("strong", { text: o.score === null ? "none" : formatRatio(o.score) }),
           o.scoreOverrideReason ? ` (overridden: ${o.scoreOverrideReason})` : "")
      : el("span", { dataset: { field: "status", value: o.status } }, statusBadge(o.status)));
  const table = el("table", { class: "krs" },
    el("caption", { class: "visually-hidden", text: "Key results of " + o.title }),
    el("thead", {}, el("tr", {}, ["Key result", "Current", "Target", "Progress", "Confidence", closed ? "Status at close" : "Status"].map(
      (h, i) => el("th", { scope: "col", class: i && i < 5 ? "num" : null, text: h })))),
    el("tbody", {}, o.keyResults.map((k) => krRow(o, k))));
  const card = el("article", { class: "objective", dataset: { objectiveId: o.id, title: o.title }, "aria-labelledby": detailId + "-h" },
    el("h3", { id: detailId + "-h" },
       el("button", { type: "button", class: "disclosure", "aria-expanded": open ? "true" : "false", "aria-controls": detailId,
                      onclick: () => toggle(o.id) },
          el("span", { class: "chevron", "aria-hidden": "true", text: open ? "▾ " : "▸ " }), o.title)),
    summary,
    o.keyResults.length ? el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Key results of " + o.title }, table)
                        : el("p", { class: "hint", text: "No key results yet." }),
    el("div", { class: "detail", id: detailId, hidden: !open, dataset: { loaded: "false" } }));
  return card;
}

function renderObjectives(connection) {
  state.objectives = connection.edges.map((e) => e.node);
  const list = $("objectives");
  list.replaceChildren(...state.objectives.map(objectiveCard));
  if (!state.objectives.length) list.replaceChildren(el("p", { class: "hint", text: "No objectives in this period yet." }));
  list.dataset.objectives = String(state.objectives.length);
  $("objectives-more").hidden = !connection.pageInfo.hasNextPage;
  $("new-objective").hidden = !(mayLead() && !isClosed());
  $("goals-section").hidden = false;
  for (const id of state.open) if (state.objectives.some((o) => o.id === id)) loadDetail(id);
}

async function toggle(id) {
  if (state.open.has(id)) state.open.delete(id); else state.open.add(id);
  const card = cardOf(id);
  if (!card) return;
  const open = state.open.has(id);
  const button = card.querySelector(".disclosure");
  button.setAttribute("aria-expanded", open ? "true" : "false");
  button.querySelector(".chevron").textContent = open ? "▾ " : "▸ ";
  card.querySelector(".detail").hidden = !open;
  if (open) await loadDetail(id);
}

function cardOf(id) {
  return [...document.querySelectorAll("#objectives article.objective")].find((a) => a.dataset.objectiveId === id);
}

// Reads one objective again (after a check-in here or elsewhere, or a CONFLICT) and redraws its card in place.
// A live update keeps a form the viewer is typing in (its record's version with it: saving it then meets CONFLICT).
async function reloadObjective(id, notice, fromLive) {
  const result = await gql(objectiveQuery(state.features), { id });
  const node = result.data && result.data.node;
  if (!node) return;
  const i = state.objectives.findIndex((o) => o.id === id);
  if (i >= 0) state.objectives[i] = node;
  const old = cardOf(id);
  if (!old) return;
  const typing = fromLive && [...old.querySelectorAll(".detail input, .detail textarea")]
    .some((c) => c.value !== c.defaultValue);
  const focused = old.contains(document.activeElement) ? focusKey(document.activeElement) : null;
  const card = objectiveCard(node);
  if (typing) card.querySelector(".detail").replaceWith(old.querySelector(".detail"));
  old.replaceWith(card);
  if (state.open.has(id) && !typing) renderDetail(card, node);
  if (focused) (card.querySelector(focused) || card.querySelector(".disclosure")).focus();
  if (notice) {
    const detail = card.querySelector(".detail");
    detail.prepend(el("p", { class: "banner notice", role: "status", dataset: { notice: "reloaded" }, text: notice }));
  }
  renderPeriod(state.company, false);
}

// Where the keyboard was in a card, as a selector that finds the same control in the card drawn again.
function focusKey(element) {
  const form = element.closest("form");
  if (!form) return element.classList.contains("disclosure") ? ".disclosure" : null;
  const scope = `form.${[...form.classList].join(".")}` + (form.dataset.krId ? `[data-kr-id="${CSS.escape(form.dataset.krId)}"]` : "");
  return element.dataset.path ? `${scope} [data-path="${CSS.escape(element.dataset.path)}"]` : `${scope} button[type="submit"]`;
}

async function loadDetail(id) {
  const card = cardOf(id);
  if (!card) return;
  const detail = card.querySelector(".detail");
  detail.replaceChildren(el("p", { class: "hint", text: "Loading check-ins…" }));
  try {
    const result = await gql(objectiveQuery(state.features), { id });
    const node = result.data && result.data.node;
    if (!node) { detail.replaceChildren(el("p", { class: "form-error", text: describe(result.errors) || "Not found." })); return; }
    renderDetail(cardOf(id) || card, node);
  } catch (error) { fail(error); }
}

function renderDetail(card, o) {
  const detail = card.querySelector(".detail");
  detail.dataset.loaded = "true";
  const chartFigure = el("figure", { class: "chart", id: "chart-objective-" + o.id.replace(/[^A-Za-z0-9]/g, "") });
  const blocks = o.keyResults.map((k) => krDetail(o, k));
  detail.replaceChildren(...[o.description ? el("p", { text: o.description }) : null, chartFigure, ...blocks,
                             o.viewerCan.addKeyResult ? el("details", { class: "add-kr" },
                               el("summary", { text: "Add a key result" }), addKeyResultForm(o)) : null].filter(Boolean));
  if (state.features.keyResultSeries && state.features.objectiveSeries) {
    const days = [...new Set([...(o.series || []).map((p) => p.on), ...o.keyResults.flatMap((k) => (k.series || []).map((p) => p.on))])].sort();
    const at = (series, key) => days.map((d) => { const p = (series || []).find((q) => q.on === d); return p ? p[key] : null; });
    drawChart(chartFigure, {
      title: `${o.title}: progress against expected`, kind: "line", labels: days, percent: true, format: formatRatio,
      description: "Weekly, as each stood at the end of the week.",
      datasets: [{ label: "Objective", data: at(o.series, "progress") },
                 ...o.keyResults.map((k) => ({ label: k.title, data: at(k.series, "progress") })),
                 { label: "Expected", data: at(o.series, "expectedProgress"), dashed: true, colour: "#777" }],
    });
  } else {
    chartNote(chartFigure, `${o.title}: progress against expected`,
              "The progress history needs a newer API (KeyResult.series); this server does not have it yet.", "unavailable");
  }
}

function krDetail(o, k) {
  const checkIns = k.recent || [];
  const list = checkIns.length
    ? el("ol", { class: "check-ins" }, checkIns.map((c) => el("li", { dataset: { value: c.value === null ? "" : c.value } },
        el("span", { class: "when", text: formatTime(c.at) }), " ", el("strong", { text: c.author.name }), ": ",
        c.value === null ? "" : el("span", { dataset: { field: "value" }, text: formatValue(c.value, k.unit) + " " }),
        c.confidence === null ? "" : el("span", { dataset: { field: "confidence" }, text: `(confidence ${formatRatio(c.confidence)}) ` }),
        c.comment ? el("q", { dataset: { field: "comment" }, text: c.comment }) : "")))
    : el("p", { class: "hint", text: "No check-ins yet." });
  const forms = [];
  if (k.viewerCan.checkIn) forms.push(checkInForm(o, k));
  if (k.viewerCan.update) forms.push(targetForm(o, k));
  return el("section", { class: "kr-detail", dataset: { krId: k.id }, "aria-label": "Key result " + k.title },
    el("h4", { text: k.title }), list, forms.length ? el("div", { class: "kr-forms" }, forms) : null);
}

function checkInForm(o, k) {
  const manual = k.source === "MANUAL";
  const value = el("input", { name: "value", inputmode: "decimal", autocomplete: "off" });
  const confidence = el("input", { name: "confidence", inputmode: "decimal", autocomplete: "off", placeholder: "0.8" });
  const comment = el("textarea", { name: "comment", rows: "2" });
  const form = el("form", { class: "panel check-in-form", novalidate: true, dataset: { krId: k.id } },
    el("h5", { text: "Check in" }), formError(),
    manual ? field(`Value (${humanize(k.unit)}${k.unit === "PERCENT" ? ", as a fraction" : ""})`, "value", value) : null,
    field("Confidence (0 to 1)", "confidence", confidence),
    field("Comment", "comment", comment),
    el("button", { type: "submit", text: "Check in" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const input = { keyResultId: k.id };
    if (manual && value.value.trim()) input.value = value.value.trim();
    if (confidence.value.trim()) {
      const n = Number(confidence.value.trim());
      if (Number.isNaN(n)) { showErrors(form, [{ field: ["input", "confidence"], message: "confidence must be a number, e.g. 0.8", code: "INVALID" }]); return; }
      input.confidence = n;
    }
    if (comment.value.trim()) input.comment = comment.value;
    await submit(form, CHECK_IN, { input }, "keyResultCheckIn", () => reloadObjective(o.id));
  });
  return form;
}

function targetForm(o, k) {
  const target = el("input", { name: "target", inputmode: "decimal", value: k.target, autocomplete: "off" });
  const form = el("form", { class: "panel target-form", novalidate: true, dataset: { krId: k.id, version: k.version } },
    el("h5", { text: "Edit target" }), formError(), field(`Target (${humanize(k.unit)})`, "target", target),
    el("button", { type: "submit", text: "Save target" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    await submit(form, KR_UPDATE, { input: { id: k.id, expectedVersion: k.version, target: target.value.trim() } },
                 "keyResultUpdate", () => reloadObjective(o.id),
                 () => reloadObjective(o.id, `“${k.title}” was changed by someone else since you opened it: it has been ` +
                                             "reloaded with its current figures. Check the target and save again."));
  });
  return form;
}

function addKeyResultForm(o) {
  const form = el("form", { class: "panel add-kr-form", novalidate: true, dataset: { objectiveId: o.id } },
    el("h5", { text: "Add a key result" }), formError(), krCreateRow(0),
    el("button", { type: "submit", text: "Add key result" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (isBusy(form)) return;
    clearErrors(form);
    const value = (name) => form.querySelector(`[data-path="keyResults.0.${name}"]`).value.trim();
    const input = { objectiveId: o.id, title: value("title"), kind: value("kind"), unit: value("unit"),
                    start: value("start"), target: value("target") };
    busy(form, true);
    try {
      const answer = refusals(await gql(KR_CREATE, { input }), "keyResultCreate");
      if (answer.errors.length) { showErrors(form, answer.errors, "keyResults.0"); return; }
      await reloadObjective(o.id);
    } catch (error) {
      if (error instanceof AuthError) fail(error); else showErrors(form, [{ message: error.message }]);
    } finally { if (form.isConnected) busy(form, false); }
  });
  return form;
}

// Sends a mutation from a form: refusals next to their fields; a CONFLICT reloads the record (onConflict).
async function submit(form, mutation, variables, name, onDone, onConflict) {
  if (isBusy(form)) return null;
  busy(form, true);
  try {
    const result = await gql(mutation, variables);
    const { payload, errors } = refusals(result, name);
    if (errors.length) {
      if (onConflict && errors.some((e) => e.code === "CONFLICT")) { await onConflict(); return null; }
      showErrors(form, errors);
      return null;
    }
    form.dataset.done = "true";
    if (onDone) await onDone(payload);
    return payload;
  } catch (error) {
    if (error instanceof AuthError) fail(error);
    else showErrors(form, [{ field: null, message: error.message, code: "" }]);
    return null;
  } finally {
    if (form.isConnected) busy(form, false);
  }
}

// ---- creating an objective ------------------------------------------------------------------------------------
const KINDS = ["INCREASE_TO", "DECREASE_TO", "STAY_AT_OR_ABOVE", "STAY_AT_OR_BELOW", "MILESTONE"];
const UNITS = ["COUNT", "CURRENCY", "PERCENT", "HOURS"];

function ownerRow(i, teamId, share) {
  return el("fieldset", { class: "row owner-row", dataset: { index: i } }, el("legend", { text: `Owner ${i + 1}` }),
    field("Team", `owners.${i}.teamId`, select(state.teams.map((t) => [t.id, t.name]), teamId)),
    field("Share (0 to 1)", `owners.${i}.share`, el("input", { name: "share", inputmode: "decimal", value: share || "" })));
}

function krCreateRow(i) {
  return el("fieldset", { class: "row kr-row", dataset: { index: i } }, el("legend", { text: `Key result ${i + 1}` }),
    field("Title", `keyResults.${i}.title`, el("input", { name: "title" })),
    field("Kind", `keyResults.${i}.kind`, select(KINDS.map((k) => [k, humanize(k)]), "INCREASE_TO")),
    field("Unit", `keyResults.${i}.unit`, select(UNITS.map((u) => [u, humanize(u)]), "COUNT")),
    field("Start", `keyResults.${i}.start`, el("input", { name: "start", inputmode: "decimal", value: "0" })),
    field("Target", `keyResults.${i}.target`, el("input", { name: "target", inputmode: "decimal" })));
}

function openObjectiveForm() {
  const form = $("objective-form");
  const owners = el("div", { class: "owners-rows" });
  const krs = el("div", { class: "kr-rows" });
  const mine = state.viewer.person && state.viewer.person.team;
  owners.append(ownerRow(0, mine ? mine.id : (state.teams[0] || {}).id, ""), ownerRow(1, (state.teams.find((t) => !mine || t.id !== mine.id) || {}).id, ""));
  krs.append(krCreateRow(0));
  form.replaceChildren(
    el("h3", { id: "objective-form-title", text: `New objective in ${state.period}` }), formError(),
    field("Title", "title", el("input", { name: "title" })),
    field("Description", "description", el("textarea", { name: "description", rows: "2" })),
    el("div", { class: "group", "data-error-scope": "owners" }, el("h4", { text: "Owners and shares" }),
       el("p", { class: "field-error", "data-error-for": "owners" }), owners,
       el("button", { type: "button", onclick: () => owners.append(ownerRow(owners.children.length, null, "")), text: "Add an owner" })),
    el("div", { class: "group" }, el("h4", { text: "Key results" }), krs,
       el("button", { type: "button", onclick: () => krs.append(krCreateRow(krs.children.length)), text: "Add a key result" })),
    el("div", { class: "buttons" }, el("button", { type: "submit", text: "Create objective" }),
       el("button", { type: "button", onclick: () => { form.hidden = true; $("new-objective").focus(); }, text: "Cancel" })));
  form.onsubmit = (event) => { event.preventDefault(); createObjective(form); };
  form.hidden = false;
  form.querySelector("input").focus();
}

async function createObjective(form) {
  if (isBusy(form)) return;
  clearErrors(form);
  const value = (path) => { const c = form.querySelector(`[data-path="${path}"]`); return c ? c.value.trim() : ""; };
  const input = { title: value("title"), period: state.period,
                  owners: [...form.querySelectorAll(".owner-row")].map((_, i) => ({ teamId: value(`owners.${i}.teamId`), share: value(`owners.${i}.share`) })) };
  if (value("description")) input.description = value("description");
  const krs = [...form.querySelectorAll(".kr-row")].map((_, i) => i).filter((i) => value(`keyResults.${i}.title`) || value(`keyResults.${i}.target`));
  busy(form, true);
  try {
    const created = refusals(await gql(OBJECTIVE_CREATE, { input }), "objectiveCreate");
    if (created.errors.length) { showErrors(form, created.errors); return; }
    const objectiveId = created.payload.objective.id;
    const failed = [];
    for (const i of krs) {
      const kr = { objectiveId, title: value(`keyResults.${i}.title`), kind: value(`keyResults.${i}.kind`),
                   unit: value(`keyResults.${i}.unit`), start: value(`keyResults.${i}.start`), target: value(`keyResults.${i}.target`) };
      const answer = refusals(await gql(KR_CREATE, { input: kr }), "keyResultCreate");
      if (answer.errors.length) { showErrors(form, answer.errors, `keyResults.${i}`); failed.push(i); }
    }
    if (failed.length) {
      form.querySelector('[data-error-for=""]').textContent = `The objective “${input.title}” was created, but ` +
        `${failed.length} key result(s) were refused (see below); open the objective to add them once fixed.`;
      await loadObjectives();
      return;
    }
    form.hidden = true;
    await loadObjectives();
    setState("ready", `Objective “${input.title}” created.`);
  } catch (error) { if (error instanceof AuthError) fail(error); else showErrors(form, [{ message: error.message }]); }
  finally { busy(form, false); }
}

// ---- rolling over, previewing and closing the period -----------------------------------------------------------
function renderPeriodActions() {
  const box = $("period-actions");
  const p = state.info;
  const items = [];
  if (mayLead() && !isClosed()) {
    const form = el("form", { class: "inline-form", id: "rollover-form", novalidate: true }, formError(),
      el("button", { type: "submit", text: `Roll ${p.key} over to the next quarter` }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const payload = await submit(form, ROLL_OVER, { input: { fromPeriod: p.key } }, "objectiveRollOver");
      if (payload) {
        const to = payload.objectives.length ? payload.objectives[0].period.key : "the next quarter";
        form.querySelector('[data-error-for=""]').textContent = "";
        form.append(el("p", { class: "banner notice", role: "status", dataset: { rolledOver: String(payload.objectives.length) },
                              text: `${payload.objectives.length} objective(s) copied into ${to}.` }));
      }
    });
    items.push(form);
  }
  if (["LEADER", "FINANCE", "ADMIN"].includes(state.viewer.role) && !isClosed()) {
    items.push(el("button", { type: "button", id: "preview-close", onclick: previewClose, text: `Preview closing ${p.key}` }));
  }
  box.replaceChildren(...items);
  $("close-panel").hidden = true;
}

async function previewClose() {
  const panel = $("close-panel");
  panel.hidden = false;
  panel.replaceChildren(el("p", { class: "hint", text: "Reading what a close would freeze…" }));
  const result = await gql(PREVIEW, { period: state.period });
  const pv = result.data && result.data.periodClosePreview;
  if (!pv) { panel.replaceChildren(el("p", { class: "form-error", role: "alert", text: describe(result.errors) })); return; }
  const p = state.info;
  const list = (title, items) => items.length ? [el("h4", { text: title }), el("ul", {}, items.map((t) => el("li", { text: t })))] : [];
  const reason = el("textarea", { name: "reason", rows: "2" });
  const force = el("input", { type: "checkbox", name: "force" });
  const form = el("form", { class: "panel", id: "close-form", novalidate: true }, formError(),
    field("Reason (audited; needed before the period's end and with force)", "reason", reason),
    el("div", { class: "field checkbox" }, force, el("label", { for: "close-force", text: "Close although pay disputes are open" }),
       el("p", { class: "field-error", "data-error-for": "force" })),
    el("div", { class: "buttons" },
      p.viewerCan.close ? el("button", { type: "submit", value: "close", text: `Close ${p.key}` }) : null,
      p.viewerCan.signOff ? el("button", { type: "submit", value: "signOff", text: `Sign ${p.key} off for my side` }) : null));
  force.id = "close-force";
  force.dataset.path = "force";
  if (!p.viewerCan.close && !p.viewerCan.signOff) {
    form.append(el("p", { class: "hint", text: "You may not close or sign off this period now (see viewerCan): " +
      "before its end only an admin closes it; after it finance or an admin, or a sales and a marketing leader each sign off." }));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const how = event.submitter ? event.submitter.value : "close";
    const input = { period: p.key, force: force.checked };
    if (reason.value.trim()) input.reason = reason.value.trim();
    const payload = await submit(form, how === "signOff" ? SIGN_OFF : CLOSE, { input },
                                 how === "signOff" ? "periodCloseSignOff" : "periodClose");
    if (payload) {
      await start(p.key);
      setState("ready", payload.period.status === "CLOSED" ? `${p.key} is closed.` : `Your side signed ${p.key} off; the other side's sign-off closes it.`);
    }
  });
  panel.replaceChildren(el("h3", { text: `Closing ${p.key}` }),
    el("p", { text: `A close freezes ${pv.objectives.length} objective score(s), ${pv.keyResultsFrozen} key result(s), ` +
      `${pv.statements.length} pay statement(s) and the model of record (${humanize(pv.modelOfRecord)}).` }),
    ...list("Scores it would freeze", pv.objectives.map((x) => `${x.objective.title}: ${formatRatio(x.score)}`)),
    ...list("Still open", [
      pv.openDisputeCount ? `${pv.openDisputeCount} pay dispute(s) open${pv.needsForce ? " (closing needs force and a reason)" : ""}` : null,
      ...pv.staleKeyResults.map((k) => `No check-in for 14 days: ${k.title} (${k.objective.title})`),
      ...pv.pendingLeadDefinitions.map((d) => `Lead definition waiting for approvals: ${d.name}`),
      ...pv.pendingModelsOfRecord.map((m) => `Model of record proposal waiting: ${humanize(m.model)}`),
    ].filter(Boolean)),
    form);
}

// ---- loading ------------------------------------------------------------------------------------------------------
async function loadObjectives() {
  const result = await gql(objectivesQuery(state.features), { period: state.period });
  if (missingField(result.errors)) throw new Error(describe(result.errors));
  if (result.data && result.data.objectives) renderObjectives(result.data.objectives);
  renderProgressChart(state);
  if (state.info) renderPeriod(state.company);
  live.follow(state.objectives.map((o) => o.id));
  return result.errors;
}

async function loadPeriod(period) {
  const mine = ++state.generation;
  state.period = period;
  root.setAttribute("data-period", period);
  setState("loading", "Loading " + period + "…");
  try {
    const [info, contribution] = await Promise.all([gql(PERIOD, { period }), gql(CONTRIBUTION, { period })]);
    if (mine !== state.generation) return;
    if (!info.data || !info.data.period) throw new Error(describe(info.errors));
    state.info = info.data.period;
    state.company = info.data.companyContribution;
    const problems = info.errors.filter((e) => codeOf(e) !== "FORBIDDEN");
    const objectiveErrors = await loadObjectives();
    if (mine !== state.generation) return;
    problems.push(...objectiveErrors);
    if (contribution.data && contribution.data.teamContribution) renderContribution(contribution.data.teamContribution, contribution.errors);
    else $("contribution-section").hidden = true;
    problems.push(...contribution.errors.filter((e) => codeOf(e) !== "FORBIDDEN" || !e.path || e.path.length < 3));
    $("charts-section").hidden = false;
    await Promise.all([renderTeamChart(state, mine), renderFunnelChart(state, mine), renderSlaChart(state, mine),
                       renderAttributionChart(state, mine)]);
    if (mine !== state.generation) return;
    if (problems.length) setState("error", "Some figures could not be loaded: " + describe(problems));
    else setState("ready", "");
  } catch (error) {
    if (mine === state.generation) fail(error);
  }
}

async function start(wantedPeriod) {
  $("token-form").hidden = true;
  setState("loading", "Loading periods…");
  try {
    if (!state.features) state.features = await probeFeatures();
    root.dataset.features = Object.entries(state.features).filter(([, on]) => on).map(([name]) => name).join(" ");
    const result = await gql(BOOT);
    if (!result.data || !result.data.periods) throw new Error(describe(result.errors) || "no periods");
    state.viewer = result.data.viewer;
    state.teams = result.data.teams;
    state.periods = result.data.periods;
    $("live-status").textContent = `Signed in as ${state.viewer.name} (${humanize(state.viewer.role)}).`;
    periodSelect.replaceChildren(...state.periods.map((p) => el("option", { value: p.key,
      text: p.key + (p.status === "CLOSED" ? " (closed)" : p.isCurrent ? " (current)" : "") })));
    const keys = state.periods.map((p) => p.key);
    const current = state.periods.find((p) => p.isCurrent) || state.periods.find((p) => p.status === "OPEN");
    const chosen = wantedPeriod || (current ? current.key : keys[0]);
    if (!chosen) { setState("error", "There are no periods yet."); return; }
    if (!keys.includes(chosen)) periodSelect.prepend(el("option", { value: chosen, text: chosen }));
    periodSelect.value = chosen;
    $("period-form").hidden = false;
    await loadPeriod(chosen);
  } catch (error) { fail(error); }
}

function onLiveUpdate(objectiveId, keyResult) {
  if (!state.objectives.some((o) => o.id === objectiveId)) return;
  reloadObjective(objectiveId, null, true).then(() => {
    const card = cardOf(objectiveId);
    if (card) card.dataset.liveUpdate = keyResult ? keyResult.id : "";
    $("live-status").textContent = `Updated live at ${new Date().toISOString().slice(11, 19)} UTC: a key result of an objective changed.`;
  }).catch(() => {});
}

function init() {
  root = $("dashboard");
  periodSelect = $("period");
  live = new Live(onLiveUpdate, (s) => { root.dataset.live = s; });
  const fragment = parseFragment();
  if (fragment.token) setToken(fragment.token.trim());
  if (fragment.token || fragment.period) setFragment(fragment.period);  // the token leaves the address at once

  periodSelect.addEventListener("change", () => { setFragment(periodSelect.value); loadPeriod(periodSelect.value); });
  $("refresh").addEventListener("click", () => loadPeriod(periodSelect.value));
  $("forget-token").addEventListener("click", () => askForToken("Paste a token to open the dashboard."));
  $("new-objective").addEventListener("click", openObjectiveForm);
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (!token) return;
    setToken(token);
    $("token-input").value = "";
    start(parseFragment().period);
  });

  if (!hasStorage()) { setState("error", "This page needs session storage."); return; }
  if (getToken()) start(fragment.period);
  else askForToken();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
