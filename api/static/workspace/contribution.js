// The team-contribution table: each figure with its change against the previous period, the team column fixed
// (CSS), pay columns only where the viewer may see some team's pay, "hidden" (FORBIDDEN) apart from "none" (null).
import { codeOf } from "./api.js";
import { el, formatDecimal, formatRatio } from "./format.js";
import { FIGURES } from "./queries.js";

const $ = (id) => document.getElementById(id);

function hiddenPaths(errors) {
  const out = new Map();
  for (const e of errors) if (codeOf(e) === "FORBIDDEN" && e.path) out.set(e.path.join("."), e.message);
  return out;
}

function formatFigure(kind, value) {
  return kind === "decimal" ? formatDecimal(value) : kind === "ratio" ? formatRatio(value) : String(value);
}

function delta(kind, now, before) {
  if (now === null || before === null || before === undefined) return null;
  const d = kind === "decimal" ? Number(now) - Number(before) : now - before;
  const arrow = Math.abs(d) < 1e-9 ? "=" : d > 0 ? "▲" : "▼";
  const size = kind === "decimal" ? formatDecimal(Math.abs(d).toFixed(2)) : kind === "ratio"
    ? (Math.abs(d) * 100).toFixed(1) + " pts" : String(Math.abs(d));
  return arrow === "=" ? "= same" : `${arrow} ${size}`;
}

export function renderContribution(rows, errors) {
  const hidden = hiddenPaths(errors);
  // A pay column is shown only when the viewer may see at least one team's figure in it.
  const columns = FIGURES.filter(([name, , , pay]) => !pay || rows.some((_, i) => !hidden.has(`teamContribution.${i}.${name}`)));
  const table = $("contribution");
  table.tHead.rows[0].replaceChildren(el("th", { scope: "col", class: "team", text: "Team" }),
    ...columns.map(([name, label, , pay]) => el("th", { scope: "col", class: "num", dataset: { field: name },
      title: pay ? "Visible to the team's leaders, finance and admins" : null, text: label })));
  table.tBodies[0].replaceChildren(...rows.map((r, i) => el("tr", { dataset: { team: r.team.name, teamId: r.team.id } },
    el("th", { scope: "row", class: "team", text: r.team.name }),
    ...columns.map(([name, , kind]) => {
      const reason = hidden.get(`teamContribution.${i}.${name}`);
      const value = r[name];
      const before = r.previousPeriod ? r.previousPeriod[name] : undefined;
      const beforeHidden = hidden.has(`teamContribution.${i}.previousPeriod.${name}`);
      const td = el("td", { class: "num", dataset: { field: name, value: value === null ? "" : String(value),
        state: reason ? "hidden" : value === null ? "none" : "value" } });
      if (reason) {
        td.title = "Not visible to you: " + reason;
        td.append(el("span", { class: "figure figure-hidden" }, el("span", { "aria-hidden": "true", text: "⊘ " }), "hidden"));
      } else if (value === null) {
        td.title = name === "goalProgress" ? "No co-owned objectives" : name === "slaCompliance" ? "No SLA-bound leads" : "No data";
        td.append(el("span", { class: "figure figure-none", text: "none" }));
      } else {
        td.append(el("span", { class: "figure", text: formatFigure(kind, value) }));
        const change = beforeHidden ? "previous hidden" : before === undefined ? null
          : before === null ? "none before" : delta(kind, value, before);
        if (change) td.append(el("span", { class: "delta", dataset: { previous: before === null || before === undefined ? "" : String(before) },
          title: "Against " + (r.previousPeriod && r.previousPeriod.period ? r.previousPeriod.period.key : "the previous period"), text: change }));
      }
      return td;
    }))));
  table.dataset.rows = String(rows.length);
  const note = $("contribution-section").querySelector(".pay-note");
  if (note) note.remove();
  if (columns.length < FIGURES.length) {
    $("contribution-section").append(el("p", { class: "hint pay-note", text: "Pay columns are left out: your token may not see any team's pay." }));
  }
  $("contribution-section").hidden = false;
}

