"""Peak memory and throughput of the server while it streams a large leads.csv over HTTP.

    .venv/bin/python bench/export_bench.py [--leads 1000000] [--seed 42] [--no-record]

The dataset is `sharedgoals generate --leads N --quarters 1` (domain.dataset): every lead in one quarter, so that
quarter's `GET /export/leads.csv?period=` has N rows. It is cached as
bench/cache/gen-v<generator version>-s<seed>-l<leads>-q1.sqlite3 (with a .json beside it: its as-of day and how the
generation went) and reused when present; a cached file that cannot be brought up to the current migrations is
deleted and generated again (1,000,000 leads take about ten minutes).

The service (api.app.create_app, rate limit off, the clock at the dataset's as-of day) runs under uvicorn in a
separate process, one worker, so the memory measured is the server's own: its VmRSS is sampled from
/proc/<pid>/status every 20 ms while a client in this process streams the CSV and counts rows and bytes, and its
VmHWM (the kernel's high-water mark of the resident set) is read at the end. The row count is checked against a
hand-written SQL count of the same leads (created in the quarter, or with a stage change in it).
Target: a peak RSS under 300 MB, whatever the number of rows. Figures merge into bench/results.json under "export".
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from api.settings import load_settings  # noqa: E402
from latency_bench import _token  # noqa: E402 - the same ADMIN token helper

RESULTS = HERE / "results.json"
CACHE = HERE / "cache"
TARGET_MB = 300


# --- the dataset -----------------------------------------------------------------------------

def dataset(seed: int, leads: int) -> tuple[str, dict]:
    """The cached SQLite dataset with every lead in one quarter (latency_bench's cache, keyed by its quarters)."""
    from latency_bench import dataset as cached_dataset
    return cached_dataset(None, seed, leads, quarters=1)


def expected_rows(path: str, key: str) -> int:
    """The leads of the quarter by hand: created in it, or with a STAGE event in it."""
    from domain import config
    from domain.org.rules import parse_period_key, period_bounds
    cfg = config.current()
    start, end = period_bounds(parse_period_key(key), cfg.fiscal_year_start_month, cfg.timezone)
    ts = lambda moment: moment.astimezone(timezone.utc).isoformat(sep=" ")  # as Tortoise stores times in SQLite
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return c.execute(
            "SELECT count(*) FROM lead WHERE (created_at >= :s AND created_at < :e) OR id IN "
            "(SELECT lead_id FROM lead_event WHERE type = 'STAGE' AND at >= :s AND at < :e)",
            {"s": ts(start), "e": ts(end)}).fetchone()[0]
    finally:
        c.close()


# --- the server process ----------------------------------------------------------------------

def serve(url: str, clock: str, port: int) -> None:
    """Run in the child process: the service alone under uvicorn."""
    import uvicorn

    from api.app import create_app
    settings = dataclasses.replace(load_settings(), database_url=url, clock=datetime.fromisoformat(clock),
                                   rate_limit_per_minute=0, env="production", log_level="WARNING")
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


# --- the run ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=int(os.environ.get("BENCH_EXPORT_LEADS", 1_000_000)))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--serve", nargs=3, metavar=("URL", "CLOCK", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return 0

    import httpx

    url, meta = dataset(args.seed, args.leads)
    as_of = datetime.fromisoformat(meta["as_of"])
    from api.app import configure_domain
    configure_domain(dataclasses.replace(load_settings(), database_url=url, clock=as_of))
    key = meta["periods"][-1]
    path = url[len("sqlite://"):]
    expected = expected_rows(path, key)
    token = asyncio.run(_token(url, as_of, "export bench"))
    port = _free_port()
    server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", url, as_of.isoformat(),
                               str(port)], cwd=HERE.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=600, headers=headers) as client:
            rss_before = _status_kb(server.pid, "VmRSS")
            peak_sampled = [rss_before]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak_sampled[0] = max(peak_sampled[0], _status_kb(server.pid, "VmRSS"))
                    time.sleep(0.02)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            lines = size = 0
            first_byte = None
            began = time.perf_counter()
            with client.stream("GET", "/export/leads.csv", params={"period": key}) as response:
                assert response.status_code == 200, response.read()
                for chunk in response.iter_bytes():
                    if first_byte is None:
                        first_byte = time.perf_counter() - began
                    lines += chunk.count(b"\n")
                    size += len(chunk)
            seconds = time.perf_counter() - began
            done.set()
            sampler.join()
            peak_hwm = _status_kb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = lines - 1  # the header
    peak_mb = max(peak_hwm, peak_sampled[0]) / 1024
    figures = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "leads": args.leads,
               "period": key, "as_of": meta["as_of"], "rows": rows, "expected_rows": expected,
               "same_count": rows == expected, "bytes": size, "seconds": round(seconds, 2),
               "first_byte_ms": round((first_byte or 0) * 1000, 1), "rows_per_s": round(rows / seconds),
               "mb_per_s": round(size / seconds / 2**20, 1), "rss_before_mb": round(rss_before / 1024, 1),
               "peak_rss_mb": round(peak_mb, 1), "peak_sampled_rss_mb": round(peak_sampled[0] / 1024, 1),
               "target_mb": TARGET_MB, "under_target": peak_mb < TARGET_MB,
               "page_size": 5000, "statements_per_page": 2, "python": platform.python_version(),
               "sqlite": sqlite3.sqlite_version}
    print(f"leads.csv {key}: {rows:,} rows ({'as counted by SQL' if rows == expected else f'SQL counts {expected:,}'}),"
          f" {size / 2**20:,.1f} MB in {seconds:.1f} s = {figures['rows_per_s']:,} rows/s,"
          f" first byte after {figures['first_byte_ms']} ms")
    print(f"server RSS: {figures['rss_before_mb']} MB before, peak {figures['peak_rss_mb']} MB "
          f"({'under' if figures['under_target'] else 'OVER'} the {TARGET_MB} MB target)")
    if not args.no_record:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["export"] = figures
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        history = HERE / "HISTORY.md"
        with history.open("a") as f:
            f.write(f"- {figures['date']} · export · leads.csv {key} · {rows:,} rows in {figures['seconds']} s "
                    f"({figures['rows_per_s']:,} rows/s) · server RSS {figures['rss_before_mb']} MB before, peak "
                    f"{figures['peak_rss_mb']} MB (target {TARGET_MB} MB)\n")
        print(f"recorded under \"export\" in {RESULTS.relative_to(HERE.parent)} and {history.name}")
    return 0 if figures["same_count"] else 1


if __name__ == "__main__":
    sys.exit(main())
