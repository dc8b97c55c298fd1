"""Benchmark of the leads import on SQLite: our import path (the domain function `import_file`, the one the CLI and
`POST /import/leads` call) against a plain script that reads the same CSV with `csv` and writes it with
`sqlite3.executemany` into an equivalent table (the same DDL, copied from the migrated database).

    .venv/bin/python bench/import_bench.py [--rows 100000] [--profile]

Prints rows/s for both and the ratio (target: ours >= 0.5 x plain), merges the figures into bench/results.json
under the key `import_leads_sqlite` and appends a dated line to bench/HISTORY.md. Each side gets a fresh SQLite file
per run and is timed from opening the CSV to the commit; the best of `--repeat` runs counts (this machine's timings
wander by a third from run to run). `--profile` prints cProfile's top functions of our side.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import io
import json
import platform
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from api import db  # noqa: E402
from domain.imports.service import import_file  # noqa: E402
from domain.org.rules import operator  # noqa: E402

RESULTS = HERE / "results.json"
HISTORY = HERE / "HISTORY.md"
KEY = "import_leads_sqlite"
TARGET_RATIO = 0.5
HEADER = ["external_id", "company", "contact_name", "email", "industry", "employees", "region", "title", "source",
          "created_at"]
INDUSTRIES = ["Software", "Fintech", "Retail", "Manufacturing", "Healthcare", "Logistics", "Media", ""]
REGIONS = ["EMEA", "NA", "APAC", "LATAM", ""]
TITLES = ["VP Marketing", "Head of Sales", "CTO", "Director of Operations", "Analyst", "CFO", ""]
SOURCES = ["webinar", "web", "event", "partner", "outbound", ""]


def generate(path: Path, rows: int, seed: int = 20261123) -> None:
    """A deterministic file of `rows` leads: the same seed and count give the same bytes."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            created = start + timedelta(seconds=rng.randrange(0, 330 * 86400))
            out.writerow([f"L-{i:08d}", f"Company {rng.randrange(10**6)} Ltd", f"Contact {i}",
                          f"contact{i}@company{i % 9973}.example", rng.choice(INDUSTRIES),
                          rng.choice(["", str(rng.randrange(1, 20000))]), rng.choice(REGIONS), rng.choice(TITLES),
                          rng.choice(SOURCES), created.isoformat()])


async def _ours(url: str, csv_path: Path, profile: bool) -> tuple[float, object]:
    await db.init_db(url)
    try:
        profiler = cProfile.Profile() if profile else None
        with csv_path.open("rb") as f:
            began = time.perf_counter()
            if profiler:
                profiler.enable()
            result = await import_file("leads", f, "csv", actor=operator("import bench"))
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - began
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            print(out.getvalue())
        with csv_path.open("rb") as f:
            began = time.perf_counter()
            again = await import_file("leads", f, "csv", actor=operator("import bench"))
            reimport = time.perf_counter() - began
        assert again.unchanged == result.created and again.created == 0, again
    finally:
        await db.close_db()
    return elapsed, result, reimport


def ours(workdir: Path, csv_path: Path, profile: bool = False, run: int = 0) -> tuple[float, float, int]:
    url = f"sqlite://{workdir / f'ours{run}.sqlite3'}"
    asyncio.run(db.migrate(url))
    elapsed, result, reimport = asyncio.run(_ours(url, csv_path, profile))
    assert result.imported and result.error_count == 0, result.errors[:5]
    return elapsed, reimport, result.created


def plain(workdir: Path, csv_path: Path, run: int = 0) -> tuple[float, int]:
    """csv + sqlite3.executemany into the same table (its DDL copied from our migrated database)."""
    source = sqlite3.connect(workdir / "ours0.sqlite3")
    ddl = [row[0] for row in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'lead' AND sql IS NOT NULL ORDER BY type DESC")]
    source.close()
    connection = sqlite3.connect(workdir / f"plain{run}.sqlite3")
    connection.execute("PRAGMA journal_mode=WAL")
    for statement in ddl:
        connection.execute(statement)
    connection.commit()
    insert = f"INSERT INTO lead ({', '.join(HEADER)}) VALUES ({', '.join('?' * len(HEADER))})"
    began = time.perf_counter()
    with csv_path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        rows = ([r[0], r[1], r[2], r[3], r[4] or None, int(r[5]) if r[5] else None, r[6] or None, r[7] or None,
                 r[8] or None, r[9]] for r in reader)
        connection.executemany(insert, rows)
    connection.commit()
    elapsed = time.perf_counter() - began
    count = connection.execute("SELECT count(*) FROM lead").fetchone()[0]
    connection.close()
    return elapsed, count


def record(figures: dict) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[KEY] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    if not HISTORY.exists():
        HISTORY.write_text("# Benchmark history\n\nOne line per `make bench` run (newest last).\n\n")
    with HISTORY.open("a") as f:
        f.write(f"- {figures['date']} · {KEY} · {figures['rows']:,} leads · ours {figures['ours_rows_per_s']:,} rows/s "
                f"· plain {figures['plain_rows_per_s']:,} rows/s · ratio {figures['ratio']:.2f} "
                f"· re-import {figures['reimport_rows_per_s']:,} rows/s\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side; the best counts")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of our import")
    parser.add_argument("--no-record", action="store_true", help="do not write results.json and HISTORY.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sharedgoals-bench-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "leads.csv"
        generate(csv_path, args.rows)
        ours_runs, plain_runs = [], []
        for run in range(max(1, args.repeat)):  # alternate the sides, so a slow spell of the machine hits both
            ours_runs.append(ours(workdir, csv_path, args.profile and run == 0, run))
            plain_runs.append(plain(workdir, csv_path, run))
            for name in (f"ours{run}.sqlite3", f"plain{run}.sqlite3"):
                if run:
                    (workdir / name).unlink()
        ours_s = min(r[0] for r in ours_runs)
        reimport_s = min(r[1] for r in ours_runs)
        plain_s = min(r[0] for r in plain_runs)
        assert all(r[2] == args.rows for r in ours_runs) and all(r[1] == args.rows for r in plain_runs)
        size = csv_path.stat().st_size
    figures = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": args.rows,
        "file_bytes": size,
        "ours_seconds": round(ours_s, 3),
        "plain_seconds": round(plain_s, 3),
        "ours_rows_per_s": round(args.rows / ours_s),
        "plain_rows_per_s": round(args.rows / plain_s),
        "reimport_rows_per_s": round(args.rows / reimport_s),
        "ratio": round(plain_s / ours_s, 3),
        "repeat": max(1, args.repeat),
        "target_ratio": TARGET_RATIO,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    print(f"{args.rows:,} leads ({size / 1e6:.1f} MB CSV) on SQLite {sqlite3.sqlite_version}, best of {args.repeat}")
    print(f"  ours  (import_file): {ours_s:7.3f} s  {figures['ours_rows_per_s']:>9,} rows/s"
          f"   (re-import, all unchanged: {figures['reimport_rows_per_s']:,} rows/s)")
    print(f"  plain (csv+executemany): {plain_s:7.3f} s  {figures['plain_rows_per_s']:>9,} rows/s")
    verdict = "meets" if figures["ratio"] >= TARGET_RATIO else "BELOW"
    print(f"  ratio ours/plain: {figures['ratio']:.2f} ({verdict} the target of {TARGET_RATIO})")
    if not args.no_record:
        record(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
