/* GraphiQL for sharedgoals, from the copies under /static/vendor (no CDN).

   The token: `/graphql#token=sg_...` moves it out of the address into this tab's session storage (the same key as
   the dashboard's), and the Headers editor starts with `{"Authorization": "Bearer <token>"}`. A token typed into the
   Headers editor is kept there too. GraphiQL keeps its tabs and query history in local storage: headers are taken
   out of whatever it stores there (its history keeps them even with shouldPersistHeaders off), so the token ends
   with the tab. Subscriptions go over graphql-transport-ws with the same token. */
(function () {
  "use strict";
  var TOKEN_KEY = "sharedgoals.token";
  var ENDPOINT = window.location.origin + "/graphql";
  var EXAMPLE = [
    "# sharedgoals: the Headers tab below holds your token as {\"Authorization\": \"Bearer sg_...\"}.",
    "# Ctrl-Enter runs the query; the Docs button (top left) browses the schema.",
    "{",
    "  viewer { name role }",
    "  currentPeriod { key start end status }",
    "}",
    ""
  ].join("\n");

  function session() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function getToken() {
    var s = session();
    return s ? s.getItem(TOKEN_KEY) : null;
  }

  function setToken(token) {
    var s = session();
    if (s && token) s.setItem(TOKEN_KEY, token);
  }

  // `#token=...` leaves the address bar (and the history) at once; other fragment parts stay.
  function takeTokenFromFragment() {
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) return;
    var kept = [];
    hash.split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at > 0 && part.slice(0, at) === "token") {
        try { setToken(decodeURIComponent(part.slice(at + 1))); } catch (e) { /* a malformed escape */ }
      } else if (part) {
        kept.push(part);
      }
    });
    window.history.replaceState(null, "", window.location.pathname + window.location.search +
                                (kept.length ? "#" + kept.join("&") : ""));
  }

  function tokenOfHeaders(text) {
    try {
      var headers = JSON.parse(text || "{}");
      for (var name in headers) {
        if (name.toLowerCase() === "authorization" && typeof headers[name] === "string") {
          var match = /^\s*Bearer\s+(\S+)\s*$/i.exec(headers[name]);
          if (match) return match[1];
        }
      }
    } catch (e) { /* still being typed */ }
    return null;
  }

  function headersFor(token) {
    return JSON.stringify({ Authorization: "Bearer " + (token || "sg_...") }, null, 2);
  }

  // GraphiQL's own local storage (tabs, history, settings), minus any headers in what it writes.
  function withoutHeaders(value) {
    if (Array.isArray(value)) return value.map(withoutHeaders);
    if (value && typeof value === "object") {
      var out = {};
      for (var key in value) if (key !== "headers") out[key] = withoutHeaders(value[key]);
      return out;
    }
    return value;
  }

  var NAMESPACE = "graphiql:";
  var storage = {
    getItem: function (key) { return window.localStorage.getItem(key); },
    setItem: function (key, value) {
      if (/:headers$/.test(key)) return;
      var kept = value;
      try { kept = JSON.stringify(withoutHeaders(JSON.parse(value))); } catch (e) { /* not JSON: no headers */ }
      window.localStorage.setItem(key, kept);
    },
    removeItem: function (key) { window.localStorage.removeItem(key); },
    clear: function () {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf(NAMESPACE) === 0) window.localStorage.removeItem(key);
      });
    },
    get length() {
      return Object.keys(window.localStorage).filter(function (key) { return key.indexOf(NAMESPACE) === 0; }).length;
    }
  };

  takeTokenFromFragment();
  var initialHeaders = headersFor(getToken());

  var fetcher = GraphiQL.createFetcher({
    url: ENDPOINT,
    subscriptionUrl: ENDPOINT.replace(/^http/, "ws"),
    // called at each (re)connection: the token of the moment, as the server reads it from connection_init
    wsConnectionParams: function () {
      var token = getToken();
      return token ? { Authorization: "Bearer " + token } : {};
    }
  });

  function onEditHeaders(text) {
    var token = tokenOfHeaders(text);
    if (token && token !== "sg_...") setToken(token);
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: EXAMPLE,
    headers: initialHeaders,
    onEditHeaders: onEditHeaders,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    storage: storage,
    defaultEditorToolsVisibility: "headers",
    inputValueDeprecation: true
  }));
})();
