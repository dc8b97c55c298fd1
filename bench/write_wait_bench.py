"""How long an API write waits, and how long a read takes, while `sharedgoals import` writes 100,000 lead events
into the same SQLite file (another process, one transaction).

    .venv/bin/python bench/write_wait_bench.py [--events 100000] [--sharedgoals PATH]

Sets up its own database under a temporary folder: 100,000 leads imported first (not timed), then a server
(`sharedgoals serve`) and the import of one MQL event per lead, during which a client sends a read
(`{ viewer { name } }`) every 20 ms and a write (`teamCreate`) every 0.5 s, one at a time. Prints the import's time,
each write's status and wait, and the reads' median and slowest. `--sharedgoals` runs another checkout's command
(for a baseline of the same figures).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

LEAD_HEADER = "external_id,company,contact_name,email,industry,employees,region,title,source,created_at"
EVENT_HEADER = "external_id,lead_external_id,at,type,stage,owner_email,actor_email,reason_code,reason_text"
TEAM_CREATE = """mutation($input: TeamCreateInput!) { teamCreate(input: $input) { team { id } userErrors { code } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sharedgoals", default=str(Path(sys.executable).parent / "sharedgoals"))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="write-wait-"))
    path = folder / "db.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite://{path}", SHAREDGOALS_LOG_LEVEL="WARNING",
               SHAREDGOALS_RATE_LIMIT_PER_MINUTE="0")
    env.pop("SHAREDGOALS_CLOCK", None)
    run = lambda *a: subprocess.run([args.sharedgoals, *a], env=env, check=True, capture_output=True, text=True)
    run("migrate")
    leads, events = folder / "leads.csv", folder / "events.csv"
    with open(leads, "w") as f:
        f.write(LEAD_HEADER + "\n")
        for i in range(args.events):
            f.write(f"L-{i},Company {i},Ann,a{i}@x.example,Software,{100 + i % 900},EMEA,VP,web,"
                    "2026-10-02T09:00:00+00:00\n")
    with open(events, "w") as f:
        f.write(EVENT_HEADER + "\n")
        for i in range(args.events):
            f.write(f"E-{i},L-{i},2026-10-{3 + i % 25:02d}T10:00:00+00:00,STAGE,MQL,,,,\n")
    run("import", "leads", str(leads))
    token = run("create-token", "--role", "ADMIN").stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([args.sharedgoals, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                        headers={"Authorization": f"Bearer {token}"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if http.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        started = time.monotonic()
        cli = subprocess.Popen([args.sharedgoals, "import", "lead-events", str(events)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        probe = sqlite3.connect(path, isolation_level=None, timeout=0)
        while cli.poll() is None:  # until the import holds the write lock
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                break
            time.sleep(0.01)
        probe.close()
        locked_at = time.monotonic()
        reads: list[float] = []
        writes: list[dict] = []
        last_write = 0.0
        while cli.poll() is None:
            t = time.monotonic()
            r = http.post("/graphql", json={"query": "{ viewer { name } }"})
            reads.append(time.monotonic() - t)
            if r.status_code != 200:
                reads[-1] = float("nan")
            if time.monotonic() - last_write >= 0.5:
                t = time.monotonic()
                team = {"name": f"T{len(writes)}", "function": "SALES"}
                w = http.post("/graphql", json={"query": TEAM_CREATE, "variables": {"input": team}})
                waited = time.monotonic() - t
                body = w.json() if w.headers.get("content-type", "").startswith("application/json") else {}
                code = ((body.get("errors") or [{}])[0].get("extensions") or {}).get("code")
                message = ((body.get("errors") or [{}])[0]).get("message", "")[:60]
                writes.append({"status": w.status_code, "waited_s": round(waited, 3), "code": code,
                               "message": message, "at_s": round(t - locked_at, 2)})
                last_write = time.monotonic()
            time.sleep(0.02)
        out, err = cli.communicate()
        took = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)
    good = [r for r in reads if r == r]
    figures = {
        "events": args.events, "import_s": round(took, 2), "import_exit": cli.returncode,
        "import_said": out.strip().splitlines()[-1] if out.strip() else err.strip()[-200:],
        "reads": len(reads), "reads_failed": len(reads) - len(good),
        "read_median_ms": round(statistics.median(good) * 1000, 1) if good else None,
        "read_max_ms": round(max(good) * 1000, 1) if good else None,
        "writes": writes,
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
