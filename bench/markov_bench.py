"""MARKOV and SHAPLEY on a generated dataset: a closed period's stored figures over HTTP beside the hand-written SQL
over the same stored rows (`attribution(model: MARKOV order 1 and 3 | SHAPLEY, groupBy: CHANNEL | TEAM)`, target
< 500 ms and within 1.5x of the SQL); the time to read a period's training journeys and to solve its chain
(orders 1-3) and its Shapley values, and MARKOV's shares beside ChannelAttribution's `markov_model` on the same
journeys when that package is installed (it simulates, so the two should agree within a few percentage points).

    .venv/bin/python bench/markov_bench.py [--db bench/cache/FILE.sqlite3] [--orders 1,2,3] [--no-record]

The database is a generated dataset (`sharedgoals generate`, see latency_bench.py), by default the latency
bench's cache for 1,000,000 leads or else for 100,000 (a copy: the bench never writes into the reference files).
Only the opportunity, lead_event and touchpoint tables are read, with the service's own statement
(domain.attribution.training.training_journeys), so any migration level works.

ChannelAttribution (GPL, kept out of the service's dependencies): `pip install ChannelAttribution pandas
matplotlib` in the venv; it is called with its defaults (nsim_start 1e5, convergence 5%, seed 0), paths
aggregated per distinct channel sequence, values in cents. Never its "Pro" installer.
Figures merge into bench/results.json under "markov".
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

RESULTS = HERE / "results.json"
CACHE = HERE / "cache"


def _default_db() -> Path | None:
    for pattern in ("*l1000000*.sqlite3", "*l100000.sqlite3"):
        found = sorted(p for p in CACHE.glob(pattern) if ".partial" not in p.name)
        if found:
            return found[-1]
    return None


async def _reports(url: str, key: str) -> dict[str, float]:
    """Seconds of `attribution(period, model, groupBy: CHANNEL)` through the domain: MARKOV and SHAPLEY (the chain
    solved, then the default model's stored rows re-weighed) beside the service's baselines, W_SHAPED (summed in
    SQL from its stored rows) and TIME_DECAY (every journey rebuilt and weighed live); the best of two runs (the
    dataset's periods are not closed, so both runs compute the chain)."""
    from tortoise import Tortoise

    from api.db import tortoise_config
    from domain.attribution import queries
    from domain.org.service import get_period
    await Tortoise.init(config=tortoise_config(url))
    try:
        view = await get_period(key)
        out = {}
        for name, choice in (("W_SHAPED", queries.ModelChoice(queries.rules.Model.W_SHAPED)),
                             ("TIME_DECAY", queries.ModelChoice(queries.rules.Model.TIME_DECAY)),
                             ("MARKOV", queries.ModelChoice(queries.rules.Model.MARKOV)),
                             ("MARKOV order 3", queries.ModelChoice(queries.rules.Model.MARKOV, markov_order=3)),
                             ("SHAPLEY", queries.ModelChoice(queries.rules.Model.SHAPLEY))):
            times = []
            for _ in range(2):
                t0 = time.perf_counter()
                result = await queries.attribution(view, choice, queries.GroupBy.CHANNEL)
                times.append(time.perf_counter() - t0)
            out[name] = (min(times), result.bookings_total_cents)
        return out
    finally:
        await Tortoise.close_connections()


STORED_KINDS = (("MARKOV", 1), ("MARKOV", 3), ("SHAPLEY", 1))
DRIVEN_Q = ('{ attribution(period: "%s", model: %s, groupBy: %s, markovOrder: %d) '
            '{ key label pipeline bookings } }')
TARGET_MS, TARGET_RATIO = 500, 1.5


def _driven_sql(group_by: str, key: str) -> str:
    """The hand-written SQL over a stored data-driven period's rows (latency_bench's STORED_CREDIT_SQL, by the
    group's column)."""
    import latency_bench
    column = {"TEAM": "CAST(team_id AS TEXT)", "CHANNEL": "channel"}[group_by]
    return latency_bench.STORED_CREDIT_SQL.replace("CAST(team_id AS TEXT)", column) % {"key": key}


def _stored_over_http(db: Path, as_of: datetime, period_key: str, repeat: int) -> list[dict]:
    """`attribution(model: MARKOV order 1 and 3 | SHAPLEY, groupBy: CHANNEL | TEAM)` of a closed period over HTTP
    (the service under uvicorn, latency_bench.Server), median of `repeat` warm requests, beside the hand-written
    SQL over the same stored rows (median likewise), and whether both give the same lines."""
    import httpx
    import latency_bench as lb
    from domain.org.rules import parse_period_key, period_bounds
    from domain import config
    url = f"sqlite://{db}"
    token = asyncio.run(lb._token(url, as_of, "markov bench"))
    cfg = config.current()
    start, end = period_bounds(parse_period_key(period_key), cfg.fiscal_year_start_month, cfg.timezone)
    out = []
    with lb.Server(url, as_of) as server, httpx.Client(base_url=server.base, timeout=120) as client:
        for model, order in STORED_KINDS:
            key = f"MARKOV:{order}@{period_key}" if model == "MARKOV" else f"{model}@{period_key}"
            baseline = lb.Baselines(str(db), None, {"start": start, "end": end}, as_of)
            for group_by in ("CHANNEL", "TEAM"):
                query = DRIVEN_Q % (period_key, model, group_by, order)
                ms, data = lb.median_ms(lambda: lb.graphql(client, token, query), repeat)
                sql_ms, rows = lb.median_ms(lambda: baseline._rows(_driven_sql(group_by, key)), repeat)
                sql = {k: (round(p, 2), round(b, 2)) for k, (p, b) in lb._credit_lines(rows).items() if p or b}
                served = {line["key"]: (float(line["pipeline"]), float(line["bookings"]))
                          for line in data["attribution"]}
                out.append({"model": model, "order": order, "group_by": group_by, "ms": round(ms, 1),
                            "sql_ms": round(sql_ms, 1), "ratio": round(ms / sql_ms, 2) if sql_ms else None,
                            "same_figures": served == sql, "lines": len(served)})
    return out


async def _journeys(url: str, as_of: datetime) -> dict[str, list]:
    from tortoise import Tortoise

    from domain import config
    from domain.attribution import training
    from domain.org.rules import parse_period_key, period_bounds
    from api.db import tortoise_config
    await Tortoise.init(config=tortoise_config(url))
    try:
        cfg = config.current()
        out = {}
        for key in _quarters(as_of):
            start, end = period_bounds(parse_period_key(key), cfg.fiscal_year_start_month, cfg.timezone)
            t0 = time.perf_counter()
            found = await training.training_journeys(start, end, as_of)
            out[key] = (found, time.perf_counter() - t0)
        return out
    finally:
        await Tortoise.close_connections()


def _quarters(as_of: datetime) -> list[str]:
    year, q = as_of.year, (as_of.month - 1) // 3 + 1
    keys = []
    for _ in range(4):
        keys.append(f"{year}-Q{q}")
        q -= 1
        if q == 0:
            year, q = year - 1, 4
    return sorted(keys)


def _channel_attribution(found, order: int):
    """ChannelAttribution's shares of conversions and of value, or None when it is not installed."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import ChannelAttribution as ca
            import pandas as pd
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None
    paths: dict[str, list[int]] = {}
    for j in found:
        if not j.channels:
            continue
        row = paths.setdefault(" > ".join(j.channels), [0, 0, 0])
        row[0 if j.converted else 2] += 1
        row[1] += j.value_cents if j.converted else 0
    frame = pd.DataFrame([(p, c, v, n) for p, (c, v, n) in paths.items()], columns=["path", "conv", "value", "null"])
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        result = ca.markov_model(frame, "path", "conv", var_value="value", var_null="null", order=order,
                                 verbose=False)
    seconds = time.perf_counter() - t0
    conv, value = result["total_conversions"].sum(), result["total_conversion_value"].sum()
    return ({r.channel_name: (r.total_conversions / conv, r.total_conversion_value / value)
             for r in result.itertuples()}, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--orders", default="1,2,3")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="warm requests a stored line (median)")
    parser.add_argument("--stored-only", action="store_true",
                        help="only the stored lines over HTTP (no chain solves, no ChannelAttribution)")
    args = parser.parse_args()
    db = args.db or _default_db()
    if db is None or not db.exists():
        sys.exit("no dataset: give --db (a copy of a generated dataset in bench/cache/)")
    meta_path = db.with_suffix(".json")
    as_of = datetime.fromisoformat(json.loads(meta_path.read_text())["as_of"]) if meta_path.exists() \
        else datetime.now().astimezone()
    from domain.attribution import markov, shapley
    closed = _quarters(as_of)[-2]  # the last closed quarter: stored (migrate's backfill, or the first read)
    stored_lines = _stored_over_http(db, as_of, closed, args.repeat)
    for r in stored_lines:
        order = f" order {r['order']}" if r["model"] == "MARKOV" else ""
        verdict = "ok" if r["ms"] < TARGET_MS and r["ratio"] is not None and r["ratio"] <= TARGET_RATIO else "MISSED"
        print(f"attribution({closed}, {r['model']}{order}, groupBy: {r['group_by']}) stored, over HTTP: "
              f"{r['ms']:.0f} ms vs hand-written SQL {r['sql_ms']:.0f} ms (x{r['ratio']}; target < {TARGET_MS} ms, "
              f"<= x{TARGET_RATIO}: {verdict}); same figures: {r['same_figures']} ({r['lines']} lines)")
    if args.stored_only:
        if not args.no_record:
            _record_stored(db, closed, stored_lines)
        return
    orders = [int(o) for o in args.orders.split(",")]
    print(f"markov: {db.name}, as of {as_of.date()}")
    print(f"{'period':8} {'journeys':>8} {'read s':>7} {'order':>5} {'states':>6} {'solve s':>7} {'CA s':>6} "
          f"{'max |share diff| pp':>19} {'max |value diff| pp':>19} {'shapley s':>9}")
    figures = []
    for key, (found, read_s) in asyncio.run(_journeys(f"sqlite://{db}", as_of)).items():
        t0 = time.perf_counter()
        try:
            shapley.shapley_values(found)
            shapley_s = f"{time.perf_counter() - t0:.3f}"
        except shapley.TooManyChannels as e:
            shapley_s = f">{e.count} ch"
        for order in orders:
            t0 = time.perf_counter()
            chain = markov.chain(found, order)
            solve_s = time.perf_counter() - t0
            states = len(markov.transitions(found, order)[0]) - 1
            ours = {d.channel: (d.share, d.value_share) for d in chain.drivers}
            reference = _channel_attribution(found, order)
            if reference is None:
                diff = value_diff = ca_s = None
            else:
                theirs, ca_s = reference
                diff = max(abs(ours[c][0] - theirs.get(c, (0, 0))[0]) for c in ours) * 100
                value_diff = max(abs(ours[c][1] - theirs.get(c, (0, 0))[1]) for c in ours) * 100
            show = lambda x, f: "n/a" if x is None else format(x, f)  # noqa: E731
            print(f"{key:8} {len(found):8,} {read_s:7.2f} {order:5} {states:6} {solve_s:7.3f} {show(ca_s, '6.1f'):>6} "
                  f"{show(diff, '19.2f'):>19} {show(value_diff, '19.2f'):>19} {shapley_s:>9}")
            figures.append({"period": key, "journeys": len(found), "read_seconds": round(read_s, 3), "order": order,
                            "states": states, "solve_seconds": round(solve_s, 4),
                            "channel_attribution_seconds": None if ca_s is None else round(ca_s, 2),
                            "max_share_diff_pp": None if diff is None else round(diff, 3),
                            "max_value_share_diff_pp": None if value_diff is None else round(value_diff, 3),
                            "shapley_seconds": shapley_s,
                            "shares": {c: round(s, 5) for c, (s, _) in sorted(ours.items())}})
    last = figures[-1]["period"] if figures else None
    reports = asyncio.run(_reports(f"sqlite://{db}", last)) if last else {}
    for name, (seconds, booked) in reports.items():
        print(f"attribution({last}, {name}, groupBy: CHANNEL): {seconds * 1000:.0f} ms (bookings {booked / 100:,.2f})")
    if not args.no_record:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["markov"] = {"dataset": db.name, "as_of": as_of.isoformat(), "rows": figures,
                             "attribution_ms": {n: round(s * 1000, 1) for n, (s, _) in reports.items()},
                             "stored_over_http": {"period": closed, "lines": stored_lines}}
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        first = [f for f in figures if f["order"] == 1]
        diffs = [f["max_share_diff_pp"] for f in figures if f["max_share_diff_pp"] is not None]
        periods = ", ".join(f"{f['period']} {f['journeys']:,} journeys" for f in first)
        against = f"max share diff {max(diffs):.2f} pp over orders {args.orders}" if diffs else "not installed"
        timings = " · ".join(f"{n} {s * 1000:.0f} ms" for n, (s, _) in reports.items())
        line = (f"- {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · markov · {db.name} · {periods} · "
                f"vs ChannelAttribution: {against} · attribution(CHANNEL): {timings}\n")
        with (HERE / "HISTORY.md").open("a") as history:
            history.write(line)
        _record_stored(db, closed, stored_lines, results_too=False)


def _record_stored(db: Path, closed: str, lines: list[dict], results_too: bool = True) -> None:
    """The stored lines into bench/HISTORY.md (and results.json's "markov_stored")."""
    if results_too:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["markov_stored"] = {"dataset": db.name, "period": closed, "lines": lines}
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    figures = " · ".join(f"{r['model']}{' ' + str(r['order']) if r['model'] == 'MARKOV' else ''} {r['group_by']} "
                         f"{r['ms']:.0f} ms (SQL {r['sql_ms']:.0f} ms{'' if r['same_figures'] else ', FIGURES DIFFER'})"
                         for r in lines)
    with (HERE / "HISTORY.md").open("a") as history:
        history.write(f"- {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · markov stored · {db.name} · "
                      f"attribution({closed}) over HTTP, median of warm requests: {figures}\n")


if __name__ == "__main__":
    main()
