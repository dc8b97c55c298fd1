"""tokenRevoke ends a token's websockets at once (close code 4401), in every server process, and a revoked token
cannot subscribe, not even on a socket it opened before."""
import asyncio
import json

import pytest
import websockets

from api import revocation
from tests.api.goals_support import Goals
from tests.api.live_support import (SUBSCRIBE, other_server, postgres_only, registered_here,  # noqa: F401
                                    subscribed, ws_url)

REVOKE = "mutation($id: ID!) { tokenRevoke(input: {id: $id}) { token { revokedAt } userErrors { code } } }"


def _token_id(api, token):
    return api.gql("{ viewer { token { id } } }", token=token)["viewer"]["token"]["id"]


def _revoke(api, token, by):
    assert api.gql(REVOKE, {"id": _token_id(api, token)}, by)["tokenRevoke"]["userErrors"] == []


async def _closed_within(ws, seconds):
    """The close code of the socket once the server has closed it (messages meanwhile are skipped)."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(seconds):
            while True:
                await ws.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


def test_revoking_a_token_closes_its_open_subscriptions_at_once_with_4401(api, admin):
    goals = Goals(api, admin)
    objective = goals.objective()

    async def scenario():
        url = ws_url(api.server.base_url)
        other = api.token(person="seller@example.com")  # the same person, another token: stays open
        async with await subscribed(url, goals.seller, objective["id"]) as ws, \
                await subscribed(url, other, objective["id"]) as kept:
            await registered_here(objective["id"])
            await asyncio.get_running_loop().run_in_executor(None, _revoke, api, goals.seller, admin)
            code = await _closed_within(ws, 5)
            await kept.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(kept.recv(), 5))["type"] == "pong"
            return code
    assert asyncio.run(scenario()) == 4401


def test_a_socket_opened_before_the_token_was_revoked_cannot_subscribe_after(api, admin, monkeypatch):
    goals = Goals(api, admin)
    objective = goals.objective()
    monkeypatch.setattr(revocation, "open_for", lambda token_id: [])  # the close does not come: the check must hold

    async def scenario():
        url = ws_url(api.server.base_url)
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {goals.seller}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "{ viewer { name } }"}}))
            assert json.loads(await ws.recv())["payload"] == {"data": {"viewer": {"name": "Sofia Seller"}}}
            await asyncio.get_running_loop().run_in_executor(None, _revoke, api, goals.seller, admin)
            await ws.send(json.dumps({"id": "2", "type": "subscribe",
                                      "payload": {"query": SUBSCRIBE, "variables": {"id": objective["id"]}}}))
            while True:  # past the first operation's "complete"
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if message.get("id") == "2":
                    return message
    message = asyncio.run(scenario())
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"], message


def test_a_revoked_token_cannot_open_a_subscription(api, admin):
    goals = Goals(api, admin)
    objective = goals.objective()
    _revoke(api, goals.seller, admin)

    async def attempt():
        async with await subscribed(ws_url(api.server.base_url), goals.seller, objective["id"]) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), 5))
    message = asyncio.run(attempt())
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"], message


@postgres_only
def test_revoking_a_token_on_one_server_closes_its_socket_on_another(api, admin, other_server):
    goals = Goals(api, admin)
    objective = goals.objective()

    async def scenario():
        async with await subscribed(ws_url(other_server), goals.seller, objective["id"]) as ws:
            await ws.send(json.dumps({"type": "ping"}))  # connected and acknowledged there
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"
            await asyncio.get_running_loop().run_in_executor(None, _revoke, api, goals.seller, admin)  # here
            return await _closed_within(ws, 5)
    assert asyncio.run(scenario()) == 4401
