// Figures arrive in their written forms (docs/api.md "Numbers as written"): money and key-result values as
// decimal strings (shown as written, thousands grouped), ratios and shares as Floats (shown as percents).

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function groupThousands(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

export function formatDecimal(text) {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(text));
  return m ? m[1] + groupThousands(m[2]) + (m[3] || "") : String(text);
}

export function formatRatio(value) { return (value * 100).toFixed(1) + "%"; }

export function formatShare(value) { return formatRatio(value).replace(/\.0%$/, "%"); }

// A key result's value at its unit's scale: PERCENT values are fractions.
export function formatValue(value, unit) {
  if (value === null || value === undefined) return "none";
  if (unit === "PERCENT") return formatRatio(Number(value));
  if (unit === "HOURS") return formatDecimal(value) + " h";
  return formatDecimal(value);
}

const STATUS = {
  ON_TRACK: ["✓", "on track"], ACCOMPLISHED: ["★", "accomplished"], AT_RISK: ["!", "at risk"],
  OFF_TRACK: ["✗", "off track"],
};

// Colour is never the only signal: an icon and the words go with it.
export function statusBadge(status) {
  if (!status) return el("span", { class: "status", text: "none" });
  const [icon, words] = STATUS[status] || ["", status.toLowerCase()];
  return el("span", { class: "status status-" + status, dataset: { status } },
            el("span", { "aria-hidden": "true", text: icon + " " }), words);
}

export function formatDate(iso) {
  return String(iso).slice(0, 10);
}

export function formatTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function humanize(code) { return String(code).replace(/_/g, " ").toLowerCase(); }
