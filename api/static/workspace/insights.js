// The period's charts (Chart.js through charts.js), each read from the API with the viewer's token; the ones of
// newer fields say in their box when the server lacks them. `state` is the page's (features, period, objectives,
// generation: a newer period choice makes an older answer moot).
import { describe, gql } from "./api.js";
import { chartNote, drawChart } from "./charts.js";
import { formatDate, formatDecimal, formatRatio, humanize } from "./format.js";
import { ATTRIBUTION, FUNNEL, TEAM_SERIES, slaQuery } from "./queries.js";

const $ = (id) => document.getElementById(id);

export function renderProgressChart(state) {
  const figure = $("chart-progress");
  const title = "Goals: progress against expected";
  if (!state.features.objectiveSeries) {
    chartNote(figure, title, "The progress history needs a newer API (Objective.series); this server does not have it yet.", "unavailable");
    return;
  }
  if (!state.objectives.length) { chartNote(figure, title, "No objectives in this period."); return; }
  const days = [...new Set(state.objectives.flatMap((o) => (o.series || []).map((p) => p.on)))].sort();
  const at = (o, key) => days.map((d) => { const p = (o.series || []).find((q) => q.on === d); return p ? p[key] : null; });
  const longest = state.objectives.reduce((a, o) => ((o.series || []).length > (a.series || []).length ? o : a), state.objectives[0]);
  drawChart(figure, { title, kind: "line", labels: days, percent: true, format: formatRatio,
    description: "Each objective's progress at the end of each week, and the progress expected by then.",
    datasets: [...state.objectives.map((o) => ({ label: o.title, data: at(o, "progress") })),
               { label: "Expected", data: at(longest, "expectedProgress"), dashed: true, colour: "#777" }] });
}

export async function renderTeamChart(state, mine) {
  const figure = $("chart-teams");
  const title = "Teams: goal progress against expected";
  if (!state.features.teamSeries) {
    chartNote(figure, title, "The teams' progress history needs a newer API (TeamContribution.goalProgressSeries); " +
              "this server does not have it yet.", "unavailable");
    return;
  }
  const result = await gql(TEAM_SERIES, { period: state.period });
  if (mine !== state.generation) return;
  const rows = result.data && result.data.teamContribution;
  if (!rows) { chartNote(figure, title, describe(result.errors) || "No answer.", "error"); return; }
  const withPoints = rows.filter((r) => r.goalProgressSeries.some((p) => p.progress !== null));
  if (!withPoints.length) { chartNote(figure, title, "No team co-owns an objective in this period."); return; }
  const days = [...new Set(rows.flatMap((r) => r.goalProgressSeries.map((p) => p.on)))].sort();
  const at = (series, key) => days.map((d) => { const p = series.find((q) => q.on === d); return p ? p[key] : null; });
  const longest = rows.reduce((a, r) => (r.goalProgressSeries.length > a.goalProgressSeries.length ? r : a), rows[0]);
  drawChart(figure, { title, kind: "line", labels: days, percent: true, format: formatRatio,
    description: "Each team's goal progress (its shares of the objectives it co-owns) at the end of each week.",
    datasets: [...withPoints.map((r) => ({ label: r.team.name, data: at(r.goalProgressSeries, "progress") })),
               { label: "Expected", data: at(longest.goalProgressSeries, "expectedProgress"), dashed: true, colour: "#777" }] });
}

export async function renderFunnelChart(state, mine) {
  const figure = $("chart-funnel");
  const title = "Funnel of the period's MQL cohort, by first-touch team";
  if (!state.features.funnelCohort) {
    chartNote(figure, title, "The cohort funnel needs a newer API (funnelCohort); this server does not have it yet.", "unavailable");
    return;
  }
  const result = await gql(FUNNEL, { period: state.period });
  if (mine !== state.generation) return;
  const lines = result.data && result.data.funnelCohort;
  if (!lines) { chartNote(figure, title, describe(result.errors) || "No answer.", "error"); return; }
  if (!lines.length) { chartNote(figure, title, "No lead became MQL in this period."); return; }
  const stages = [["mqls", "MQL"], ["sals", "SAL"], ["sqls", "SQL"], ["won", "Won"]];
  drawChart(figure, { title, kind: "bar", labels: stages.map((s) => s[1]), format: (v) => String(v), counts: true,
    description: "The leads that became MQL in the period, and how many of them reached SAL, SQL and won.",
    datasets: lines.map((l) => ({ label: l.team ? l.team.name : "No first touch", data: stages.map(([k]) => l[k]) })) });
}

export async function renderSlaChart(state, mine) {
  const figure = $("chart-sla");
  const title = "SLA compliance by week, both sides";
  const result = await gql(slaQuery(state.features), { period: state.period });
  if (mine !== state.generation) return;
  const report = result.data && result.data.slaReport;
  const noAgreement = !report && (result.errors || []).length &&
    result.errors.every((e) => e.extensions && e.extensions.code === "NOT_FOUND");
  if (noAgreement) { chartNote(figure, title, "No SLA was agreed between marketing and sales for this period."); return; }
  if (!report) { chartNote(figure, title, describe(result.errors) || "No SLA report.", "error"); return; }
  const totals = `Period so far: marketing ${report.marketing.compliance === null ? "none" : formatRatio(report.marketing.compliance)}` +
    ` (${report.marketing.met} of ${report.marketing.counted}), sales ${report.sales.compliance === null ? "none" : formatRatio(report.sales.compliance)}` +
    ` (${report.sales.met} of ${report.sales.counted}).`;
  if (!state.features.slaWeeks) {
    chartNote(figure, title, "The weekly breakdown needs a newer API (SlaReport.weeks); this server does not have it yet. " + totals, "unavailable");
    return;
  }
  if (!report.weeks.length) { chartNote(figure, title, "No weeks yet. " + totals); return; }
  drawChart(figure, { title, kind: "bar", labels: report.weeks.map((w) => formatDate(w.start)), percent: true, format: formatRatio,
    description: `${report.agreement.marketingTeam.name} (marketing) and ${report.agreement.salesTeam.name} (sales), week by week. ${totals}`,
    datasets: [{ label: "Marketing", data: report.weeks.map((w) => w.marketing.compliance) },
               { label: "Sales", data: report.weeks.map((w) => w.sales.compliance) }] });
}

export async function renderAttributionChart(state, mine) {
  const figure = $("chart-attribution");
  const title = "Attributed bookings by team, model by model";
  const result = await gql(ATTRIBUTION, { period: state.period });
  if (mine !== state.generation) return;
  const columns = result.data && result.data.attributionComparison;
  if (!columns) { chartNote(figure, title, describe(result.errors) || "No answer.", "error"); return; }
  const keys = [];
  const labels = [];
  for (const c of columns) for (const l of c.lines) if (!keys.includes(l.key)) { keys.push(l.key); labels.push(l.label); }
  if (!keys.length) { chartNote(figure, title, "No deals in this period."); return; }
  drawChart(figure, { title, kind: "bar", labels, format: (v) => formatDecimal(Number(v).toFixed(2)),
    description: "The bookings won in the period credited to each team under each attribution model.",
    datasets: columns.map((c) => ({ label: humanize(c.model), model: c.model,
      data: keys.map((k) => { const l = c.lines.find((x) => x.key === k); return l ? Number(l.bookings) : 0; }) })) });
}

