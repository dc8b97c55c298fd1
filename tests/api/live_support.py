"""Live updates over graphql-transport-ws: subscribing, waiting for a subscription, a second server process."""
import asyncio
import json
import os
import time

import httpx
import pytest
import websockets
from strawberry import relay

from domain import events
from tests.api import cli_support as cli
from tests.api.fixtures import free_port

SUBSCRIBE = "subscription($id: ID!) { keyResultUpdated(objectiveId: $id) { title current progress } }"
ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="crossing processes needs PostgreSQL (TEST_DATABASE_URL)")


def ws_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/graphql"


async def subscribed(url, token, objective_id):
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": SUBSCRIBE, "variables": {"id": objective_id}}}))
    return ws


async def registered_here(objective_id):
    """Wait until this process (the test server's) has registered the subscription."""
    topic = events.objective_topic(int(relay.GlobalID.from_id(objective_id).node_id))
    for _ in range(250):
        if events.has_subscribers(topic):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the subscription was not registered")


@pytest.fixture(scope="module")
def other_server(live_server, tmp_path_factory):
    """A second `sharedgoals serve` process on the same PostgreSQL database."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=live_server.url, SHAREDGOALS_LOG_LEVEL="WARNING",
               SHAREDGOALS_RATE_LIMIT_PER_MINUTE="0", SHAREDGOALS_ENV="development")
    env.pop("SHAREDGOALS_CLOCK", None)
    log = tmp_path_factory.mktemp("other-server") / "stderr.log"
    server = cli.start(["serve", "--port", str(port)], env=env, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base_url + "/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the second server did not start: {log.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(30)
