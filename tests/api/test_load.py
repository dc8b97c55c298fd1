"""A bounded load test on loopback: `sharedgoals serve` in its own process (three workers on PostgreSQL, one on
SQLite, which takes one writer) under concurrent check-ins, racing updates, overlapping imports and reports.
No request may fail, and no write may be lost: the counts add up afterwards.

Bounded in count (a fixed list of requests) and time (each request has a timeout; the whole run a deadline)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from domain.goals.models import CheckIn, Objective
from domain.leads.models import Lead
from tests.api.goals_support import CHECK_IN, OBJECTIVE_UPDATE, Goals
from tests.harness import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")
WORKERS = 3 if ON_POSTGRES else 1
LEAD_HEADER = "external_id,company,contact_name,email,industry,employees,region,title,source,created_at"
DEADLINE_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(api):
    """The service in its own process on the test database, as an operator would run it."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": TEST_DATABASE_URL, "SHAREDGOALS_RATE_LIMIT_PER_MINUTE": "0",
           "SHAREDGOALS_LOG_LEVEL": "WARNING", "SHAREDGOALS_CLOCK": ""}
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(WORKERS)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                pytest.fail("the server stopped: " + process.stdout.read().decode(errors="replace")[-2000:])
            time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready in 30 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _leads_csv(first: int, count: int) -> str:
    rows = [LEAD_HEADER] + [f"LOAD-{i},Company {i},Contact {i},c{i}@example.com,Software,{100 + i % 900},EMEA,"
                            f"VP Sales,web,2026-11-02T09:00:00Z" for i in range(first, first + count)]
    return "\n".join(rows) + "\n"


def test_several_workers_under_load_answer_everything_and_lose_no_write(api, admin, served):
    goals = Goals(api, admin)
    objective = goals.objective()
    key_results = [goals.key_result(objective["id"], title=f"KR {k}") for k in range(4)]

    requests: list[tuple[str, dict]] = []
    for i in range(120):  # check-ins spread over four key results
        kr = key_results[i % 4]
        requests.append(("graphql", {"token": goals.seller, "query": CHECK_IN,
                                     "variables": {"input": {"keyResultId": kr["id"], "value": str(i)}}}))
    for i in range(12):  # racing updates of one objective at one version
        requests.append(("graphql", {"token": goals.leader, "query": OBJECTIVE_UPDATE, "variables": {
            "input": {"id": objective["id"], "expectedVersion": 1, "title": f"Title {i}"}}}))
    for b in range(16):  # disjoint lead imports, and the same batch imported by six clients at once
        requests.append(("import", {"token": admin, "body": _leads_csv(b * 50, 50)}))
    for _ in range(6):
        requests.append(("import", {"token": admin, "body": _leads_csv(10_000, 40)}))
    for _ in range(30):  # reads beside the writes
        requests.append(("graphql", {"token": goals.leader, "query": '{ teamContribution(period: "2026-Q4") { '
                                     'team { name } goalProgress mqlsDelivered } }', "variables": {}}))
        requests.append(("graphql", {"token": goals.seller, "query": '{ objectives(period: "2026-Q4") { edges { '
                                     'node { title progress keyResults { progress } } } } }', "variables": {}}))
    order = list(range(len(requests)))
    import random
    random.Random(5).shuffle(order)
    started = time.monotonic()

    def send(index: int):
        kind, r = requests[index]
        if time.monotonic() - started > DEADLINE_SECONDS:
            return index, None
        headers = {"Authorization": f"Bearer {r['token']}"}
        with httpx.Client(base_url=served, timeout=60) as client:
            if kind == "import":
                response = client.post("/import/leads", content=r["body"].encode(),
                                       headers={**headers, "Content-Type": "text/csv"})
            else:
                response = client.post("/graphql", json={"query": r["query"], "variables": r["variables"]},
                                       headers=headers)
        return index, response

    with ThreadPoolExecutor(max_workers=16) as pool:
        answered = list(pool.map(send, order))
    seconds = time.monotonic() - started
    assert all(response is not None for _, response in answered), "the run went past its deadline"
    failures = [(requests[i][0], r.status_code, r.text[:300]) for i, r in answered if r.status_code != 200]
    assert failures == []
    bodies = {i: r.json() for i, r in answered}
    errors = [(i, b["errors"]) for i, b in bodies.items() if requests[i][0] == "graphql" and b.get("errors")]
    assert errors == []

    # no lost writes: every check-in stored, one winner of the race, every lead once
    assert api.run(CheckIn.all().count()) == 120
    update_results = [bodies[i]["data"]["objectiveUpdate"]["userErrors"] for i in bodies
                      if requests[i][1].get("query") == OBJECTIVE_UPDATE]
    assert sum(1 for e in update_results if e == []) == 1
    assert all(e == [] or [x["code"] for x in e] == ["CONFLICT"] for e in update_results)
    assert api.run(Objective.get(id=int(__import__("strawberry").relay.GlobalID.from_id(
        objective["id"]).node_id))).version == 2
    assert api.run(Lead.all().count()) == 16 * 50 + 40
    same_batch = [bodies[i] for i in bodies if requests[i][0] == "import" and "LOAD-10000," in requests[i][1]["body"]]
    assert all(b["imported"] for b in same_batch)
    assert sum(b["created"] for b in same_batch) == 40  # the racing imports created each lead exactly once
    assert all(b["created"] + b["unchanged"] == 40 for b in same_batch)
    print(f"\nload: {len(requests)} requests, {WORKERS} worker(s), 16 clients, {seconds:.1f} s, "
          f"{len(requests) / seconds:.0f} requests/s, no errors, no lost writes")
