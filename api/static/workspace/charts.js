// Charts drawn by the vendored Chart.js (window.Chart, /static/vendor/chartjs-4.5.1), each beside a table of the
// same numbers (the canvas is an image to a screen reader: role="img" with a label, described by the table).
import { el } from "./format.js";

const PALETTE = ["#1f6fb2", "#c2571a", "#2a7a3a", "#7b4fa3", "#b3261e", "#5b6b00", "#00758f", "#8a5a00"];
const DASHES = [[], [6, 3], [2, 2], [10, 4, 2, 4]];
const charts = new Map();   // figure id -> Chart

export function colour(i) { return PALETTE[i % PALETTE.length]; }

// A chart that cannot be drawn (no data, or a field this server does not have yet): said in words, in its box.
export function chartNote(figure, title, note, reason) {
  destroy(figure.id);
  figure.dataset.state = reason || "empty";
  figure.replaceChildren(el("figcaption", {}, el("h3", { text: title })), el("p", { class: "chart-note", text: note }));
}

function destroy(id) {
  const old = charts.get(id);
  if (old) { old.destroy(); charts.delete(id); }
}

// kind: "line" or "bar"; labels: the x categories; datasets: [{label, data, dashed?, stack?}];
// format: how a number reads in the table and the tooltip.
export function drawChart(figure, { title, kind, labels, datasets, format, percent, stacked, description, counts }) {
  destroy(figure.id);
  figure.dataset.state = "drawn";
  const canvasId = figure.id + "-canvas";
  const tableId = figure.id + "-table";
  const canvas = el("canvas", { id: canvasId, role: "img", "aria-label": title + (description ? ": " + description : ""),
                                "aria-describedby": tableId });
  const table = el("table", { id: tableId, class: "chart-table" },
    el("caption", { text: title + ", as numbers" }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "" }),
                                   datasets.map((d) => el("th", { scope: "col", text: d.label })))),
    el("tbody", {}, labels.map((label, i) => el("tr", {}, el("th", { scope: "row", text: String(label) }),
      datasets.map((d) => el("td", { class: "num", text: d.data[i] === null || d.data[i] === undefined ? "none"
                                                                   : format(d.data[i]) }))))));
  figure.replaceChildren(
    el("figcaption", {}, el("h3", { text: title }), description ? el("p", { class: "hint", text: description }) : null),
    el("div", { class: "chart-box" }, canvas),
    el("details", {}, el("summary", { text: "Numbers" }), el("div", { class: "scroll" }, table)));
  if (!window.Chart) {
    figure.dataset.state = "no-library";
    return null;
  }
  const chart = new window.Chart(canvas, {
    type: kind,
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        label: d.label, data: d.data, stack: d.stack,
        borderColor: d.colour || colour(i), backgroundColor: d.colour || colour(i),
        borderDash: kind === "line" ? (d.dashed ? [6, 4] : DASHES[i % DASHES.length]) : undefined,
        pointStyle: ["circle", "rect", "triangle", "rectRot", "star", "crossRot"][i % 6],
        pointRadius: kind === "line" ? 3 : undefined, spanGaps: true, tension: 0,
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      interaction: { mode: "nearest", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true } },
        tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ": " + format(ctx.parsed.y) } },
      },
      scales: {
        x: { stacked: !!stacked },
        y: { stacked: !!stacked, beginAtZero: true, suggestedMax: percent ? 1 : undefined,
             ticks: { callback: (v) => format(v), precision: counts ? 0 : undefined } },
      },
    },
  });
  charts.set(figure.id, chart);
  return chart;
}
