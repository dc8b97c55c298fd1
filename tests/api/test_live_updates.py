"""keyResultUpdated over graphql-transport-ws: a check-in is pushed to subscribers of its objective."""
import asyncio
import json

import websockets
from strawberry import relay

from domain import events

from tests.api.goals_support import Goals

SUBSCRIBE = "subscription($id: ID!) { keyResultUpdated(objectiveId: $id) { title current progress } }"


async def _first_update(url, token, objective_id, after_subscribed):
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIBE, "variables": {"id": objective_id}}}))
        topic = events.objective_topic(int(relay.GlobalID.from_id(objective_id).node_id))
        for _ in range(200):  # wait until the server has registered the subscription (same process)
            if events._subscribers.get(topic):
                break
            await asyncio.sleep(0.02)
        await asyncio.get_running_loop().run_in_executor(None, after_subscribed)
        return json.loads(await asyncio.wait_for(ws.recv(), 10))


def test_a_check_in_is_pushed_to_subscribers(api, admin):
    goals = Goals(api, admin)
    objective = goals.objective()
    kr = goals.key_result(objective["id"], title="New-logo bookings", target="200")
    url = api.server.base_url.replace("http", "ws") + "/graphql"
    message = asyncio.run(_first_update(url, goals.seller, objective["id"], lambda: goals.check_in(kr["id"], "50")))
    assert message["type"] == "next"
    assert message["payload"]["data"]["keyResultUpdated"] == {"title": "New-logo bookings", "current": "50",
                                                              "progress": 0.25}


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
