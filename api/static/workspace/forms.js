// Forms that act through the API, and the one way refusals are shown: each userError next to the control its
// `field` names (the path from `input`), or at the top of the form when it names none the form has.
import { codeOf, describe } from "./api.js";
import { el } from "./format.js";

let uid = 0;

// A labelled control with its error slot (`data-error-for` = the input path it answers for).
export function field(label, path, control, hint) {
  const id = "f" + (++uid);
  control.id = id;
  control.dataset.path = path;
  const error = el("p", { class: "field-error", id: id + "-error", "data-error-for": path, "aria-live": "polite" });
  const described = [hint ? id + "-hint" : null, id + "-error"].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", described);
  return el("div", { class: "field" }, el("label", { for: id, text: label }), control,
            hint ? el("p", { class: "hint", id: id + "-hint", text: hint }) : null, error);
}

export function formError() {
  return el("p", { class: "form-error", "data-error-for": "", role: "alert" });
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  form.removeAttribute("data-refused");
}

// userErrors: [{field: ["input", "owners", "0", "share"], message, code}]; prefix maps a mutation's paths into the
// form's (keyResultCreate's "target" is the form's "keyResults.1.target").
export function showErrors(form, userErrors, prefix) {
  const general = form.querySelector('[data-error-for=""]');
  for (const error of userErrors) {
    let path = (error.field || []).filter((part) => part !== "input");
    if (prefix) path = prefix.split(".").concat(path);
    let slot = null;
    for (let n = path.length; n > 0 && !slot; n--) {
      slot = form.querySelector(`[data-error-for="${CSS.escape(path.slice(0, n).join("."))}"]`);
    }
    slot = slot || general;
    const text = error.message + (error.code ? " (" + error.code + ")" : "");
    slot.textContent = slot.textContent ? slot.textContent + " " + text : text;
    slot.dataset.code = error.code || "";
    const control = form.querySelector(`[data-path="${CSS.escape(slot.dataset.errorFor)}"]`);
    if (control) control.setAttribute("aria-invalid", "true");
  }
  if (userErrors.length) form.dataset.refused = userErrors.map((e) => e.code).join(" ");
}

// A mutation's answer as userErrors: top-level errors (a role that may not call it) become general ones.
export function refusals(result, name) {
  const payload = result.data && result.data[name];
  const errors = (payload && payload.userErrors) || [];
  const top = result.errors.map((e) => ({ field: null, message: e.message, code: codeOf(e) }));
  return { payload, errors: errors.concat(top) };
}

// While a form's mutation is under way its buttons say so (aria-disabled, not `disabled`: a disabled button drops
// the keyboard focus) and a second submit is ignored (isBusy).
export function busy(form, on) {
  for (const b of form.querySelectorAll("button")) b.setAttribute("aria-disabled", on ? "true" : "false");
  form.setAttribute("aria-busy", on ? "true" : "false");
}

export function isBusy(form) { return form.getAttribute("aria-busy") === "true"; }

export function select(options, value) {
  return el("select", {}, options.map(([v, label]) => el("option", { value: v, text: label, selected: v === value })));
}

export { describe };
