"""Benchmark of the imports: our import path (the domain function `import_file`, the one the CLI and
`POST /import/KIND` call) against a plain script writing the same rows into equivalent tables (the same DDL).

    .venv/bin/python bench/import_bench.py [--rows 100000] [--profile] [--journey-leads 20000]
    .venv/bin/python bench/import_bench.py --database-url postgres://user@host:port/db [--journey-leads 20000]

Leads (SQLite): the CSV read with `csv` and written with `sqlite3.executemany`. Every other kind (the journeys of
`--journey-leads` generated leads: lead events in two files, touchpoints, opportunities, as `sharedgoals generate`
writes and imports them): on SQLite `csv` + `executemany` of the same rows, on PostgreSQL (`--database-url`, a
server whose databases the bench may create and drop) `COPY` of the same rows through `psql` (`\\copy`), with
their references (lead, team and person ids) resolved before the clock starts; for opportunities the plain side
writes the deals and their stored credit rows, the rows our import writes. Targets: ours >= 0.5 x plain on
SQLite, >= 1/3 x COPY on PostgreSQL.

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
import os
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
PG_TARGET_RATIO = 1 / 3
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


# --- the other kinds: the journeys of generated leads -------------------------------------------------

# file -> (table, the columns its rows write, how a CSV row becomes them given the references)
def _event_row(r, refs):
    leads, people = refs["leads"], refs["people"]
    actor = people.get(r[6].lower()) if r[6] else None
    return (r[0], leads[r[1]], r[2], r[3], r[4] or None, people[r[5].lower()][0] if r[5] else None,
            actor[0] if actor else None, actor[1] if actor else "generate", r[7] or None, r[8])


def _touch_row(r, refs):
    return (r[0], refs["leads"][r[1]], r[2], r[3], r[4], r[6] or None, refs["teams"][r[5]],
            refs["people"][r[7].lower()][0] if r[7] else None, int(r[8]) if r[8] else None)


def _opportunity_row(r, refs):
    cents = int(round(float(r[3]) * 100))
    return (r[0], refs["leads"][r[1]], r[2], cents, r[4], r[5], r[6] or None,
            refs["people"][r[7].lower()][0] if r[7] else None)


EVENT_COLUMNS = ("external_id", "lead_id", "at", "type", "stage", "owner_person_id", "actor_person_id", "actor_name",
                 "reason_code", "reason_text")
TOUCH_COLUMNS = ("external_id", "lead_id", "at", "kind", "channel", "campaign", "team_id", "person_id",
                 "duration_minutes")
OPPORTUNITY_COLUMNS = ("external_id", "lead_id", "name", "amount_cents", "created_at", "status", "closed_at",
                       "owner_id")
CREDIT_COLUMNS = ("opportunity_id", "model_key", "position", "touchpoint_id", "at", "team_id", "person_id", "channel",
                  "campaign", "weight", "amount_cents", "deal_amount_cents", "created_at", "won_at", "horizon",
                  "influencing")
JOURNEY_FILES = {  # file: (kind, table, columns, row)
    "lead-events-first.csv": ("lead-events", "lead_event", EVENT_COLUMNS, _event_row),
    "lead-events-later.csv": ("lead-events", "lead_event", EVENT_COLUMNS, _event_row),
    "touchpoints.csv": ("touchpoints", "touchpoint", TOUCH_COLUMNS, _touch_row),
    "opportunities.csv": ("opportunities", "opportunity", OPPORTUNITY_COLUMNS, _opportunity_row),
}
JOURNEY_TABLES = ("lead", "lead_event", "touchpoint", "opportunity", "deal_credit")


async def _generate(url: str, leads: int, folder: Path):
    """Ours: `generate` (the organisation, then every file through import_file) into a fresh database; its summary
    (the import's seconds of each file; the seconds of the rollup fold after the imports)."""
    from domain.dataset.service import Options, generate
    await db.migrate(url)
    await db.init_db(url)
    try:
        summary = await generate(Options(leads=leads, as_of=datetime(2026, 12, 1, tzinfo=timezone.utc), pay=False),
                                 keep_files=folder)
    finally:
        await db.close_db()
    return summary


def _refs_sqlite(path: Path) -> dict:
    connection = sqlite3.connect(path)
    try:
        return _refs_of(connection.execute)
    finally:
        connection.close()


def _refs_of(execute) -> dict:
    rows = lambda sql: list(execute(sql))
    return {"leads": dict(rows("SELECT external_id, id FROM lead")),
            "people": {e: (i, n) for e, i, n in rows("SELECT email, id, name FROM person")},
            "teams": dict(rows("SELECT name, id FROM team"))}


def _plain_sqlite(workdir: Path, ours_path: Path, folder: Path, run: int) -> dict[str, float]:
    """csv + executemany of each file's rows into the same tables, in the generated order; the deals' credit rows
    (copied from our database) written with the deals."""
    source = sqlite3.connect(ours_path)
    ddl = [row[0] for row in source.execute(
        f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({', '.join('?' * len(JOURNEY_TABLES))}) "
        "AND sql IS NOT NULL ORDER BY type DESC", JOURNEY_TABLES)]
    credits = list(source.execute(f"SELECT {', '.join(CREDIT_COLUMNS)} FROM deal_credit ORDER BY id"))
    leads = list(source.execute(f"SELECT {', '.join(HEADER)} FROM lead ORDER BY id"))
    source.close()
    refs = _refs_sqlite(ours_path)
    path = workdir / f"plain-journeys{run}.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    for statement in ddl:
        connection.execute(statement)
    connection.executemany(f"INSERT INTO lead ({', '.join(HEADER)}) VALUES ({', '.join('?' * len(HEADER))})", leads)
    connection.commit()
    seconds = {}
    for name, (_, table, columns, convert) in JOURNEY_FILES.items():
        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        began = time.perf_counter()
        with (folder / name).open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            connection.executemany(insert, (convert(r, refs) for r in reader))
        if table == "opportunity":
            connection.executemany(f"INSERT INTO deal_credit ({', '.join(CREDIT_COLUMNS)}) VALUES "
                                   f"({', '.join('?' * len(CREDIT_COLUMNS))})", credits)
        connection.commit()
        seconds[name] = time.perf_counter() - began
    connection.close()
    path.unlink()
    return seconds


def _psql(url: str, *args: str, stdin: str | None = None) -> str:
    import subprocess
    done = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", *args], input=stdin, text=True,
                          capture_output=True, check=False)
    if done.returncode:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout


def _pg_url(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _fresh_pg(url: str, name: str) -> str:
    admin = _pg_url(url, "postgres")
    _psql(admin, "-c", f'DROP DATABASE IF EXISTS "{name}"')
    _psql(admin, "-c", f'CREATE DATABASE "{name}"')
    return _pg_url(url, name)


def _plain_pg(url: str, ours_url: str, workdir: Path, folder: Path, run: int) -> dict[str, float]:
    """psql's \\copy of each file's rows (references resolved beforehand, not timed) into the same tables (our
    migrations' DDL), in the generated order; the deals' credit rows (copied from our database) with the deals."""
    plain_url = _fresh_pg(url, f"bench_plain_{os.getpid()}_{run}")
    asyncio.run(db.migrate(plain_url))
    _psql(plain_url, "-c", "TRUNCATE person, team RESTART IDENTITY CASCADE")
    for table in ("team", "person", "lead"):  # the references, as ours has them
        dump = workdir / f"{table}.copy"
        _psql(ours_url, "-c", f"\\copy {table} TO '{dump}'")
        _psql(plain_url, "-c", f"ALTER TABLE {table} DISABLE TRIGGER ALL", "-c", f"\\copy {table} FROM '{dump}'")
    credits = workdir / "credits.copy"
    _psql(ours_url, "-c", f"\\copy (SELECT {', '.join(CREDIT_COLUMNS)} FROM deal_credit ORDER BY id) TO '{credits}'")
    connection_rows = _psql(ours_url, "-F", "\t", "-c", "SELECT external_id, id FROM lead")
    refs = {"leads": dict(line.split("\t") for line in connection_rows.splitlines()),
            "people": {e: (i, n) for e, i, n in (line.split("\t") for line in _psql(
                ours_url, "-F", "\t", "-c", "SELECT email, id, name FROM person").splitlines())},
            "teams": dict(line.split("\t") for line in _psql(ours_url, "-F", "\t", "-c",
                                                              "SELECT name, id FROM team").splitlines())}
    seconds = {}
    for name, (_, table, columns, convert) in JOURNEY_FILES.items():
        resolved = workdir / f"{name}.resolved.csv"
        with (folder / name).open(newline="", encoding="utf-8") as f, resolved.open("w", newline="") as out:
            reader = csv.reader(f)
            next(reader)
            csv.writer(out).writerows(tuple("\\N" if v is None else v for v in convert(r, refs)) for r in reader)
        statements = ["-c", f"\\copy {table} ({', '.join(columns)}) FROM '{resolved}' (FORMAT csv, NULL '\\N')"]
        if table == "opportunity":
            statements += ["-c", f"\\copy deal_credit ({', '.join(CREDIT_COLUMNS)}) FROM '{credits}'"]
        began = time.perf_counter()
        _psql(plain_url, "-1", *statements)  # one transaction, as an import
        seconds[name] = time.perf_counter() - began
    _psql(_pg_url(url, "postgres"), "-c", f'DROP DATABASE IF EXISTS "bench_plain_{os.getpid()}_{run}"')
    return seconds


def journeys(args) -> None:
    """Each kind but leads: ours (generate's imports) against the plain side, best of --journey-repeat runs."""
    pg = args.database_url
    label = "PostgreSQL" if pg else "SQLite"
    target = PG_TARGET_RATIO if pg else TARGET_RATIO
    ours_runs: list[dict] = []
    plain_runs: list[dict] = []
    folds: list[float] = []  # seconds of the rollup sums each run's imports left pending (after their commits)
    with tempfile.TemporaryDirectory(prefix="sharedgoals-bench-") as tmp:
        workdir = Path(tmp)
        for run in range(max(1, args.journey_repeat)):
            folder = workdir / f"files{run}"
            folder.mkdir()
            if pg:
                ours_url = _fresh_pg(pg, f"bench_ours_{os.getpid()}_{run}")
                imports = asyncio.run(_generate(ours_url, args.journey_leads, folder))
                plain_runs.append(_plain_pg(pg, ours_url, workdir, folder, run))
                _psql(_pg_url(pg, "postgres"), "-c", f'DROP DATABASE IF EXISTS "bench_ours_{os.getpid()}_{run}"')
            else:
                ours_path = workdir / f"ours-journeys{run}.sqlite3"
                imports = asyncio.run(_generate(f"sqlite://{ours_path}", args.journey_leads, folder))
                plain_runs.append(_plain_sqlite(workdir, ours_path, folder, run))
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{ours_path}{suffix}").unlink(missing_ok=True)
            folds.append(imports.rollup_seconds)
            imports = imports.imports
            ours_runs.append({name: figures["seconds"] for name, figures in imports.items()})
            rows = {name: figures["rows"] for name, figures in imports.items()}
    print(f"{args.journey_leads:,} generated leads' journeys on {label}, best of {len(ours_runs)} "
          f"(plain: {'COPY through psql' if pg else 'csv + executemany'})")
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for name, (kind, *_rest) in JOURNEY_FILES.items():
        ours_s = min(r[name] for r in ours_runs)
        plain_s = min(r[name] for r in plain_runs)
        ratio = plain_s / ours_s
        verdict = "meets" if ratio >= target else "BELOW"
        print(f"  {name:<24} {rows[name]:>9,} rows  ours {rows[name] / ours_s:>9,.0f} rows/s  "
              f"plain {rows[name] / plain_s:>9,.0f} rows/s  ratio {ratio:.2f} ({verdict} {target:.2f})")
        if not args.no_record:
            key = f"import_{name.removesuffix('.csv').replace('-', '_')}_{'postgres' if pg else 'sqlite'}"
            figures = {"date": date, "rows": rows[name], "journey_leads": args.journey_leads, "kind": kind,
                       "ours_seconds": round(ours_s, 3), "plain_seconds": round(plain_s, 3),
                       "ours_rows_per_s": round(rows[name] / ours_s), "plain_rows_per_s": round(rows[name] / plain_s),
                       "ratio": round(ratio, 3), "target_ratio": round(target, 3), "repeat": len(ours_runs),
                       "python": platform.python_version()}
            if kind == "opportunities":  # the rollups its deals left pending, summed after its commit
                figures["rollup_fold_seconds"] = round(min(folds), 3)
            results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
            results[key] = figures
            RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
            with HISTORY.open("a") as f:
                f.write(f"- {date} · {key} · {rows[name]:,} rows ({args.journey_leads:,} leads' journeys) · ours "
                        f"{figures['ours_rows_per_s']:,} rows/s · plain {figures['plain_rows_per_s']:,} rows/s · "
                        f"ratio {ratio:.2f}\n")
    print(f"  after the imports committed, the rollups of the deals they left pending were summed in "
          f"{min(folds):.2f} s (best of {len(folds)}; in no import's time: docs/operations.md)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side; the best counts")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of our import")
    parser.add_argument("--no-record", action="store_true", help="do not write results.json and HISTORY.md")
    parser.add_argument("--journey-leads", type=int, default=20_000,
                        help="leads whose generated journeys the other kinds' lines import (0: leads only)")
    parser.add_argument("--journey-repeat", type=int, default=2, help="runs of each side of the journey lines")
    parser.add_argument("--database-url", default=None,
                        help="postgres://user@host:port/db: the journey lines on PostgreSQL against psql's COPY")
    parser.add_argument("--no-leads", action="store_true", help="only the journey lines")
    args = parser.parse_args(argv)
    if args.journey_leads and (args.no_leads or args.database_url):
        journeys(args)
    if args.no_leads or args.database_url:
        return 0
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
    if args.journey_leads:
        journeys(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
