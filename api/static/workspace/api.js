// The public GraphQL API, as the page uses it: the viewer's token (kept in this tab's session storage), queries and
// mutations over POST /graphql, which of the newer fields the server has, and keyResultUpdated over the websocket.

const TOKEN_KEY = "sharedgoals.token";
const ENDPOINT = "/graphql";

export class AuthError extends Error {
  constructor(message) { super(message); this.name = "AuthError"; }
}

export function codeOf(error) { return (error && error.extensions && error.extensions.code) || ""; }

function storage() {
  try { return window.sessionStorage; } catch (e) { return null; }
}

export function hasStorage() { return storage() !== null; }
export function getToken() { const s = storage(); return s ? s.getItem(TOKEN_KEY) : null; }
export function setToken(token) {
  const s = storage();
  if (!s) return;
  if (token) s.setItem(TOKEN_KEY, token); else s.removeItem(TOKEN_KEY);
}

// Resolves to {data, errors}; rejects with AuthError when the token is refused, Error otherwise.
export async function gql(query, variables) {
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json",
               "Authorization": "Bearer " + getToken() },
    body: JSON.stringify({ query, variables: variables || {} }),
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 401) throw new AuthError("The token was refused.");
  let body;
  try { body = await response.json(); } catch (e) {
    throw new Error("The server answered " + response.status + " without JSON.");
  }
  const errors = body.errors || [];
  if (errors.some((e) => codeOf(e) === "UNAUTHENTICATED")) {
    throw new AuthError(errors[0].message || "The token was refused.");
  }
  if (response.status === 429) {
    throw new Error("Too many requests for this token: try again in " + (response.headers.get("Retry-After") || "a few") + " s.");
  }
  if (!response.ok && !body.data) throw new Error("The server answered " + response.status + ".");
  return { data: body.data || null, errors };
}

export function describe(errors) {
  return errors.map((e) => e.message + (codeOf(e) ? " (" + codeOf(e) + ")" : "")).join("; ");
}

// ---- which newer fields the server has ----------------------------------------------------------------------
// One validation-only request: every probed field is under @skip(if: true), so nothing runs, and GraphQL's
// validation names each field the schema lacks ("Cannot query field 'series' on type 'KeyResult'."). Works with
// introspection off (production) too.
const PROBE = `query WorkspaceProbe {
  funnelCohort(period: "current") @skip(if: true) { mqls }
  slaReport(period: "current") @skip(if: true) { weeks { start } }
  teamContribution(period: "current") @skip(if: true) { goalProgressSeries { on } }
  objectives(period: "current", first: 1) @skip(if: true) { edges { node { series { on } keyResults { series { on } } } } }
}`;
export const FEATURES = {
  funnelCohort: ["Query", "funnelCohort"],
  slaWeeks: ["SlaReport", "weeks"],
  teamSeries: ["TeamContribution", "goalProgressSeries"],
  objectiveSeries: ["Objective", "series"],
  keyResultSeries: ["KeyResult", "series"],
};

export async function probeFeatures() {
  const { errors } = await gql(PROBE);
  const missing = new Set();
  for (const e of errors) {
    const m = /Cannot query field ['"](\w+)['"] on type ['"](\w+)['"]/.exec(e.message || "");
    if (m) missing.add(m[2] + "." + m[1]);
  }
  const out = {};
  for (const [name, [type, field]] of Object.entries(FEATURES)) out[name] = !missing.has(type + "." + field);
  // Another validation error (say, a field renamed): treat every feature as absent rather than fail later.
  if (errors.length && !missing.size) for (const name of Object.keys(out)) out[name] = false;
  return out;
}

export function missingField(errors) {
  return errors.some((e) => /Cannot query field/.test(e.message || ""));
}

// ---- keyResultUpdated over graphql-transport-ws -------------------------------------------------------------
// One socket for the page; a subscription per objective shown. Reconnects (with a growing pause) while wanted.
export class Live {
  constructor(onUpdate, onState) {
    this.onUpdate = onUpdate;
    this.onState = onState;
    this.wanted = new Set();
    this.socket = null;
    this.ready = false;
    this.ids = new Map();   // objective id -> subscription id
    this.next = 1;
    this.pause = 1000;
    this.stopped = true;
  }

  follow(objectiveIds) {
    this.wanted = new Set(objectiveIds);
    this.stopped = false;
    if (!this.socket) this.connect();
    else if (this.ready) this.sync();
  }

  stop() {
    this.stopped = true;
    this.wanted = new Set();
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + ENDPOINT;
    const socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    this.ready = false;
    this.ids = new Map();
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init",
                                                        payload: { Authorization: "Bearer " + getToken() } }));
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "connection_ack") {
        this.ready = true;
        this.pause = 1000;
        this.onState("live");
        this.sync();
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next" && message.payload && message.payload.data) {
        const objectiveId = [...this.ids].find(([, id]) => id === message.id);
        if (objectiveId) this.onUpdate(objectiveId[0], message.payload.data.keyResultUpdated);
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.ready = false;
      if (this.stopped) return;
      this.onState("reconnecting");
      setTimeout(() => { if (!this.stopped && !this.socket) this.connect(); }, this.pause);
      this.pause = Math.min(this.pause * 2, 30000);
    };
  }

  sync() {
    for (const [objectiveId, id] of [...this.ids]) {
      if (!this.wanted.has(objectiveId)) {
        this.socket.send(JSON.stringify({ id, type: "complete" }));
        this.ids.delete(objectiveId);
      }
    }
    for (const objectiveId of this.wanted) {
      if (this.ids.has(objectiveId)) continue;
      const id = "kr-" + this.next++;
      this.ids.set(objectiveId, id);
      this.socket.send(JSON.stringify({ id, type: "subscribe", payload: {
        query: "subscription($id: ID!) { keyResultUpdated(objectiveId: $id) { id current progress status } }",
        variables: { id: objectiveId } } }));
    }
  }
}
