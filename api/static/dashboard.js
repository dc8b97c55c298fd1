// The leaders' dashboard: the team-contribution table and the goals' progress for a period, read from the
// public GraphQL API at /graphql with the viewer's bearer token. Plain JavaScript, no build step.
//
// The token comes from the URL fragment (`/#token=…`, removed from the address at once and kept in this tab's
// session storage), from session storage, or from the form. `#period=2026-Q4` picks the period.
(function () {
  "use strict";

  var TOKEN_KEY = "sharedgoals.token";
  var ENDPOINT = "/graphql";
  var DECIMAL_FIELDS = ["sourcedPipeline", "influencedPipeline", "attributedBookings", "payoutsAccrued",
                        "wastedSellingCost"];
  var RATIO_FIELDS = ["goalProgress", "slaCompliance"];
  var COUNT_FIELDS = ["mqlsDelivered", "sals", "sqls"];
  var COLUMNS = ["goalProgress", "mqlsDelivered", "sals", "sqls", "sourcedPipeline", "influencedPipeline",
                 "attributedBookings", "slaCompliance", "payoutsAccrued", "wastedSellingCost"];

  var PERIODS = "query DashboardPeriods { periods { key status } }";
  var CONTRIBUTION = "query DashboardContribution($period: String!) { teamContribution(period: $period) {" +
    " team { id name } goalProgress mqlsDelivered sals sqls sourcedPipeline influencedPipeline" +
    " attributedBookings slaCompliance payoutsAccrued wastedSellingCost } }";
  var OBJECTIVES = "query DashboardObjectives($period: String!) { objectives(period: $period, first: 50) {" +
    " edges { node { id title progress status owners { share team { name } } } } pageInfo { hasNextPage } } }";

  var $ = function (id) { return document.getElementById(id); };
  var root, periodSelect, generation = 0;

  // ---- the token -------------------------------------------------------------------------------
  function parseFragment() {
    var out = {};
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) return out;
    hash.split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at <= 0) return;
      try { out[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1)); }
      catch (e) { /* a malformed escape: ignore the part */ }
    });
    return out;
  }

  function setFragment(period) {
    var url = window.location.pathname + window.location.search + (period ? "#period=" + encodeURIComponent(period) : "");
    window.history.replaceState(null, "", url);
  }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function getToken() {
    var s = storage();
    return s ? s.getItem(TOKEN_KEY) : null;
  }

  function setToken(token) {
    var s = storage();
    if (!s) return;
    if (token) s.setItem(TOKEN_KEY, token); else s.removeItem(TOKEN_KEY);
  }

  // ---- GraphQL ---------------------------------------------------------------------------------
  function AuthError(message) { this.name = "AuthError"; this.message = message; }
  AuthError.prototype = Object.create(Error.prototype);

  function codeOf(error) { return (error && error.extensions && error.extensions.code) || ""; }

  // Resolves to {data, errors}; rejects with AuthError when the token is refused, Error otherwise.
  function gql(query, variables) {
    return fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "Authorization": "Bearer " + getToken() },
      body: JSON.stringify({ query: query, variables: variables || {} }),
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 401) throw new AuthError("The token was refused.");
      return response.json().catch(function () {
        throw new Error("The server answered " + response.status + " without JSON.");
      }).then(function (body) {
        var errors = body.errors || [];
        if (errors.some(function (e) { return codeOf(e) === "UNAUTHENTICATED"; })) {
          throw new AuthError(errors[0].message || "The token was refused.");
        }
        if (!response.ok && !body.data) throw new Error("The server answered " + response.status + ".");
        return { data: body.data || null, errors: errors };
      });
    });
  }

  // Errors other than FORBIDDEN on a field the viewer may not see (those render as "—").
  function realErrors(errors) {
    return errors.filter(function (e) { return codeOf(e) !== "FORBIDDEN" || !e.path || e.path.length < 3; });
  }

  function describe(errors) {
    return errors.map(function (e) { return e.message + (codeOf(e) ? " (" + codeOf(e) + ")" : ""); }).join("; ");
  }

  // ---- formatting ------------------------------------------------------------------------------
  // Figures arrive in their written forms (README "Numbers"): money as a decimal string with 2 places (shown as
  // written, with thousands grouped), ratios and shares as Floats of 6 places (shown as percents).
  function groupThousands(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  function formatDecimal(text) {
    var m = /^(-?)(\d+)(\.\d+)?$/.exec(String(text));
    return m ? m[1] + groupThousands(m[2]) + (m[3] || "") : String(text);
  }

  function formatRatio(value) { return (value * 100).toFixed(1) + "%"; }

  function cell(row, field, value, kind, hiddenReason) {
    var td = document.createElement("td");
    td.className = "num";
    td.setAttribute("data-field", field);
    if (value === null || value === undefined) {
      td.textContent = "—";
      td.setAttribute("data-value", "");
      td.setAttribute("data-null", "true");
      if (hiddenReason) { td.title = hiddenReason; td.classList.add("hidden-figure"); }
    } else {
      td.setAttribute("data-value", String(value));
      td.textContent = kind === "decimal" ? formatDecimal(value) : kind === "ratio" ? formatRatio(value) : String(value);
    }
    row.appendChild(td);
    return td;
  }

  // ---- rendering -------------------------------------------------------------------------------
  function setState(state, message) {
    root.setAttribute("data-state", state);
    $("message").textContent = message || "";
  }

  function askForToken(message) {
    setToken(null);
    generation++;
    $("period-form").hidden = true;
    $("contribution-section").hidden = true;
    $("objectives-section").hidden = true;
    $("token-form").hidden = false;
    setState("needs-token", message || "Paste a token to open the dashboard.");
    $("token-input").value = "";
    $("token-input").focus();
  }

  function forbiddenPaths(errors) {
    var out = {};
    errors.forEach(function (e) {
      if (codeOf(e) === "FORBIDDEN" && e.path) out[e.path.join(".")] = e.message;
    });
    return out;
  }

  function renderContribution(rows, errors) {
    var hidden = forbiddenPaths(errors);
    var tbody = $("contribution").tBodies[0];
    var fresh = document.createDocumentFragment();
    rows.forEach(function (r, i) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-team", r.team.name);
      tr.setAttribute("data-team-id", r.team.id);
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = r.team.name;
      tr.appendChild(th);
      COLUMNS.forEach(function (field) {
        var kind = DECIMAL_FIELDS.indexOf(field) >= 0 ? "decimal" : RATIO_FIELDS.indexOf(field) >= 0 ? "ratio" : "count";
        var reason = hidden["teamContribution." + i + "." + field];
        cell(tr, field, r[field], kind, reason ? "Not visible to you: " + reason : (field === "goalProgress"
          ? "No co-owned objectives" : field === "slaCompliance" ? "No SLA-bound leads" : null));
      });
      fresh.appendChild(tr);
    });
    tbody.replaceChildren(fresh);
    $("contribution").setAttribute("data-rows", String(rows.length));
    $("contribution-section").hidden = false;
  }

  function renderObjectives(connection) {
    var tbody = $("objectives").tBodies[0];
    var fresh = document.createDocumentFragment();
    connection.edges.forEach(function (edge) {
      var o = edge.node;
      var tr = document.createElement("tr");
      tr.setAttribute("data-objective-id", o.id);
      tr.setAttribute("data-title", o.title);
      var title = document.createElement("th");
      title.scope = "row";
      title.setAttribute("data-field", "title");
      title.textContent = o.title;
      tr.appendChild(title);

      var owners = document.createElement("td");
      owners.setAttribute("data-field", "owners");
      owners.textContent = o.owners.map(function (s) {
        return s.team.name + " " + formatRatio(s.share).replace(/\.0%$/, "%");
      }).join(" · ");
      owners.setAttribute("data-value", JSON.stringify(o.owners.map(function (s) {
        return { team: s.team.name, share: s.share };
      })));
      tr.appendChild(owners);

      var progress = cell(tr, "progress", o.progress, "ratio");
      var bar = document.createElement("span");
      bar.className = "bar";
      var fill = document.createElement("span");
      fill.style.width = Math.max(0, Math.min(1, o.progress)) * 100 + "%";
      bar.appendChild(fill);
      progress.appendChild(bar);

      var status = document.createElement("td");
      status.setAttribute("data-field", "status");
      status.setAttribute("data-value", o.status);
      var badge = document.createElement("span");
      badge.className = "status status-" + o.status;
      badge.textContent = o.status.replace(/_/g, " ").toLowerCase();
      status.appendChild(badge);
      tr.appendChild(status);
      fresh.appendChild(tr);
    });
    tbody.replaceChildren(fresh);
    $("objectives").setAttribute("data-rows", String(connection.edges.length));
    $("objectives-more").hidden = !connection.pageInfo.hasNextPage;
    $("objectives-section").hidden = false;
  }

  // ---- loading ---------------------------------------------------------------------------------
  function fail(error) {
    if (error instanceof AuthError) askForToken(error.message + " Paste another token.");
    else setState("error", "Could not load the dashboard: " + (error && error.message || error));
  }

  function loadPeriod(period) {
    var mine = ++generation;
    root.setAttribute("data-period", period);
    setState("loading", "Loading " + period + "…");
    return Promise.all([gql(CONTRIBUTION, { period: period }), gql(OBJECTIVES, { period: period })])
      .then(function (results) {
        if (mine !== generation) return;  // a newer choice is on its way
        var contribution = results[0], objectives = results[1], problems = [];
        if (contribution.data && contribution.data.teamContribution) {
          renderContribution(contribution.data.teamContribution, contribution.errors);
        } else {
          $("contribution-section").hidden = true;
        }
        problems = problems.concat(realErrors(contribution.errors));
        if (objectives.data && objectives.data.objectives) renderObjectives(objectives.data.objectives);
        else $("objectives-section").hidden = true;
        problems = problems.concat(realErrors(objectives.errors));
        if (problems.length) setState("error", "Some figures could not be loaded: " + describe(problems));
        else setState("ready", "");
      })
      .catch(function (error) { if (mine === generation) fail(error); });
  }

  function start(wantedPeriod) {
    $("token-form").hidden = true;
    setState("loading", "Loading periods…");
    return gql(PERIODS).then(function (result) {
      if (!result.data || !result.data.periods) throw new Error(describe(result.errors) || "no periods");
      var periods = result.data.periods;
      periodSelect.replaceChildren();
      periods.forEach(function (p) {
        var option = document.createElement("option");
        option.value = p.key;
        option.textContent = p.key + (p.status === "CLOSED" ? " (closed)" : "");
        periodSelect.appendChild(option);
      });
      var keys = periods.map(function (p) { return p.key; });
      var open = periods.filter(function (p) { return p.status === "OPEN"; })[0];
      var chosen = wantedPeriod || (open ? open.key : keys[0]);
      if (!chosen) { setState("error", "There are no periods yet."); return; }
      if (keys.indexOf(chosen) < 0) {  // any well-formed key works, even one not in use yet
        var extra = document.createElement("option");
        extra.value = extra.textContent = chosen;
        periodSelect.insertBefore(extra, periodSelect.firstChild);
      }
      periodSelect.value = chosen;
      $("period-form").hidden = false;
      return loadPeriod(chosen);
    }).catch(fail);
  }

  function init() {
    root = $("dashboard");
    periodSelect = $("period");
    var fragment = parseFragment();
    if (fragment.token) setToken(fragment.token.trim());
    if (fragment.token || fragment.period) setFragment(fragment.period);  // the token leaves the address at once

    periodSelect.addEventListener("change", function () {
      setFragment(periodSelect.value);
      loadPeriod(periodSelect.value);
    });
    $("refresh").addEventListener("click", function () { loadPeriod(periodSelect.value); });
    $("forget-token").addEventListener("click", function () { askForToken("Paste a token to open the dashboard."); });
    $("token-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var token = $("token-input").value.trim();
      if (!token) return;
      setToken(token);
      $("token-input").value = "";
      start(parseFragment().period);
    });

    if (!storage()) { setState("error", "This page needs session storage."); return; }
    if (getToken()) start(fragment.period);
    else askForToken();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
