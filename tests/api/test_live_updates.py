"""keyResultUpdated over graphql-transport-ws: a check-in, or an import that moves a METRIC key result, is pushed to
the subscribers of its objective; on PostgreSQL across server processes (LISTEN/NOTIFY)."""
import asyncio
import json
import time

import httpx
import pytest
import websockets

from domain import events
from tests.api.goals_support import CHECK_IN, Goals
from tests.api.live_support import (SUBSCRIBE, other_server, postgres_only,  # noqa: F401  (the fixture)
                                    registered_here, subscribed, ws_url)


async def _next(ws, timeout=10):
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert message["type"] == "next", message
    return message["payload"]["data"]["keyResultUpdated"]


async def _first_update(url, token, objective_id, after_subscribed, then_silent=0.0):
    """The first update after `after_subscribed()` ran, and (with `then_silent`) that none follows that soon."""
    async with await subscribed(url, token, objective_id) as ws:
        await registered_here(objective_id)
        await asyncio.get_running_loop().run_in_executor(None, after_subscribed)
        update = await _next(ws)
        if then_silent:
            with pytest.raises(TimeoutError):
                extra = await asyncio.wait_for(ws.recv(), then_silent)
                pytest.fail(f"a second update came: {extra}")
        return update


def test_a_check_in_is_pushed_to_subscribers(api, admin):
    goals = Goals(api, admin)
    objective = goals.objective()
    kr = goals.key_result(objective["id"], title="New-logo bookings", target="200")
    update = asyncio.run(_first_update(ws_url(api.server.base_url), goals.seller, objective["id"],
                                       lambda: goals.check_in(kr["id"], "50")))
    assert update == {"title": "New-logo bookings", "current": "50", "progress": 0.25}


def test_a_subscription_without_a_token_is_unauthenticated(api, admin):
    goals = Goals(api, admin)
    objective = goals.objective()

    async def attempt():
        url = api.server.base_url.replace("http", "ws") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": SUBSCRIBE, "variables": {"id": objective["id"]}}}))
            return json.loads(await asyncio.wait_for(ws.recv(), 10))
    message = asyncio.run(attempt())
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]


def test_an_import_that_moves_a_metric_key_result_pushes_it_once(api, admin):
    goals = Goals(api, admin)
    objective = goals.objective()
    goals.key_result(objective["id"], title="Typed in", target="10")  # MANUAL: an import does not move it
    goals.key_result(objective["id"], title="Sales bookings", unit="CURRENCY", target="20000", source="METRIC",
                     metric={"name": "BOOKINGS", "teamIds": [goals.sales]})
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "text/csv"}
    leads = ("external_id,company,contact_name,email,industry,employees,region,title,source,created_at\n"
             "L-1,Acme,,,,,,,,2026-11-02T09:00:00Z\n")
    response = api.http.post("/import/leads", content=leads, headers=headers)
    assert response.json()["imported"], response.text
    deals = ("external_id,lead_external_id,name,amount,created_at,status,closed_at,owner_email\n"
             "O-1,L-1,Acme platform,3000,2026-11-02T09:00:00Z,WON,2026-11-20T09:00:00Z,seller@example.com\n"
             "O-2,L-1,Acme add-on,2000,2026-11-03T09:00:00Z,WON,2026-11-21T09:00:00Z,seller@example.com\n")

    def import_deals():
        response = api.http.post("/import/opportunities", content=deals, headers=headers)
        assert response.json()["created"] == 2, response.text
    update = asyncio.run(_first_update(ws_url(api.server.base_url), goals.seller, objective["id"], import_deals,
                                       then_silent=0.5))
    assert update == {"title": "Sales bookings", "current": "5000.00", "progress": 0.25}


# --- the in-process broker ----------------------------------------------------------------------

@pytest.fixture
def in_process(monkeypatch):
    monkeypatch.setattr(events, "_backend", None)  # the test server's bridge (on PostgreSQL) stays out of it


def test_the_in_process_broker_gives_each_subscriber_what_was_published_after_it_joined(in_process):
    async def scenario():
        events.publish("t:broker", "before anyone listened")
        first, second = events.subscribe("t:broker"), events.subscribe("t:broker")
        reads = [asyncio.create_task(anext(first)), asyncio.create_task(anext(second))]
        await asyncio.sleep(0)  # both have joined
        assert events.has_subscribers("t:broker") and not events.has_subscribers("t:other")
        events.publish("t:other", 0)
        for n in (1, 2, 3):
            events.publish("t:broker", n)
        got = [await r for r in reads] + [await anext(first), await anext(first), await anext(second)]
        await first.aclose()
        await second.aclose()
        return got
    assert asyncio.run(scenario()) == [1, 1, 2, 3, 2]
    assert not events.has_subscribers("t:broker")


def test_a_slow_subscriber_does_not_hold_up_publishers_or_other_subscribers(in_process):
    async def scenario():
        slow, fast = events.subscribe("t:slow"), events.subscribe("t:slow")
        stuck = asyncio.create_task(anext(slow))  # reads one payload, then never again
        received = []

        async def read_all():
            async for payload in fast:
                received.append(payload)
                if payload == 9_999:
                    return
        reader = asyncio.create_task(read_all())
        await asyncio.sleep(0)
        started = time.perf_counter()
        for n in range(10_000):
            events.publish("t:slow", n)
            if n % 10 == 9:
                await asyncio.sleep(0)  # the fast one reads between bursts
        publishing = time.perf_counter() - started
        await asyncio.wait_for(reader, 5)
        mailbox = next(m for m in events._subscribers["t:slow"] if m.pending)
        waiting = list(mailbox.pending)
        events.publish("t:slow", waiting[0])  # already waiting: not queued twice
        assert list(mailbox.pending) == waiting
        await slow.aclose()
        await fast.aclose()
        return await stuck, received, publishing, waiting
    first, received, publishing, waiting = asyncio.run(scenario())
    assert first == 0 and received == list(range(10_000))
    assert publishing < 2  # seconds: never waits for the slow reader
    assert waiting == list(range(1, 1 + events._MAX_QUEUED))  # the rest was dropped for it, not held


# --- across processes (PostgreSQL) ----------------------------------------------------------------

def _check_in_on(base_url, token, key_result_id, value):
    body = httpx.post(base_url + "/graphql", json={"query": CHECK_IN, "variables": {"input": {
        "keyResultId": key_result_id, "value": value}}}, headers={"Authorization": f"Bearer {token}"}).json()
    assert body["data"]["keyResultCheckIn"]["userErrors"] == [], body


@postgres_only
def test_a_check_in_on_one_server_reaches_a_subscriber_on_another(api, admin, other_server):
    goals = Goals(api, admin)
    objective = goals.objective()
    kr = goals.key_result(objective["id"], title="New-logo bookings", target="200")

    # Subscribed here (the test server), checked in there.
    update = asyncio.run(_first_update(ws_url(api.server.base_url), goals.seller, objective["id"],
                                       lambda: _check_in_on(other_server, goals.seller, kr["id"], "50")))
    assert update == {"title": "New-logo bookings", "current": "50", "progress": 0.25}

    # Subscribed there, checked in here. That server's registration cannot be seen from here, so check in until
    # an update comes (each check-in is the same value).
    async def there():
        async with await subscribed(ws_url(other_server), goals.seller, objective["id"]) as ws:
            for _ in range(40):
                await asyncio.get_running_loop().run_in_executor(None, lambda: goals.check_in(kr["id"], "100"))
                try:
                    return await _next(ws, timeout=0.5)
                except TimeoutError:
                    continue
            raise AssertionError("no update reached the other server")
    assert asyncio.run(there()) == {"title": "New-logo bookings", "current": "100", "progress": 0.5}


@postgres_only
def test_an_event_is_delivered_once_in_the_process_that_published_it(api, admin):
    goals = Goals(api, admin)
    objective = goals.objective()
    kr = goals.key_result(objective["id"], title="New-logo bookings", target="200")
    update = asyncio.run(_first_update(ws_url(api.server.base_url), goals.seller, objective["id"],
                                       lambda: goals.check_in(kr["id"], "50"), then_silent=0.5))
    assert update["current"] == "50"


@postgres_only
def test_the_listener_reconnects_when_its_connection_drops(api, admin, other_server):
    from tortoise import connections
    bridge = events.installed()
    assert bridge is not None, "on PostgreSQL the test harness installs the bridge, as the service's lifespan does"
    before, pid = bridge.connections, bridge.connection.get_server_pid()
    _, rows = api.run(connections.get("default").execute_query("SELECT pg_terminate_backend($1)", [pid]))
    assert rows[0][0] is True
    deadline = time.monotonic() + 15
    while bridge.connections == before:
        assert time.monotonic() < deadline, "the listener did not reconnect"
        time.sleep(0.05)
    assert bridge.connection.get_server_pid() != pid

    goals = Goals(api, admin)
    objective = goals.objective()
    kr = goals.key_result(objective["id"], title="New-logo bookings", target="200")
    update = asyncio.run(_first_update(ws_url(api.server.base_url), goals.seller, objective["id"],
                                       lambda: _check_in_on(other_server, goals.seller, kr["id"], "150")))
    assert update == {"title": "New-logo bookings", "current": "150", "progress": 0.75}
