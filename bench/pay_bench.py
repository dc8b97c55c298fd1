"""Pay at scale: `compStatements` for a whole period (every person) over GraphQL and the streamed `payouts.csv`,
beside a hand-written SQL computing the same sums over the same rows, on the generated reference dataset with its pay.

    .venv/bin/python bench/pay_bench.py [--leads 100000] [--seed 42] [--repeat 9] [--profile]
    BENCH_LEADS=1000000 make bench                       # the reference scale (a step of `make bench`)

The dataset is latency_bench's (`sharedgoals generate` without its pay step, cached in bench/cache/) with the pay
step (domain/dataset/pay.generate_pay: plans, splits, the past quarters closed, clawbacks) applied to a copy of it,
cached beside it as <dataset key>-pay<shape.PAY_VERSION>.sqlite3: the 1M reference dataset is not generated again.
The service's clock is the dataset's as-of day.

Measured, median of --repeat warm requests each (the app under uvicorn on loopback, one worker, as latency_bench):
- `compStatements(period: <the open quarter>)`: every person's accrued statement, each line's figures and payout,
  the draw and the clawbacks (no evidence lists);
- `GET /export/payouts.csv?period=<the open quarter>`: the same statements streamed as CSV;
- `compStatements(period: <the last closed quarter>)`: the locked statements.
Beside them, the baseline: one hand-written SQL (sqlite3, read-only) over the same rows, of the figures a statement
computes that SQL can compute, for the open quarter:
  (1) per person, the bookings credit of the deals WON in the period, by their crediting splits (amount x percent /
      100) or else all the owner's (the OWN_BOOKINGS metric), and per team the same (the TEAM_BOOKINGS metric);
  (2) per team, the bookings credit of the model of record from the stored credit rows (ATTRIBUTED_BOOKINGS);
  (3) per team, the leads whose MQL falls in the period, by their first touch's team (MQLS_DELIVERED).
  (4) per SLA agreement, both sides' met and counted items over the stored per-lead SLA rows (SLA_COMPLIANCE).
Not in the SQL: key-result progress and gates, curves, payouts, draws and clawbacks (Python rules of
their own). The figures of both are compared (bookings to the cent per deal share, so within a cent a deal).
Targets: within 1.5x of the SQL and under 500 ms at the reference scale. Figures merge into bench/results.json under
`pay_sqlite_<leads>` and a dated line goes to bench/HISTORY.md.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import json
import os
import pstats
import shutil
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import latency_bench as lb  # noqa: E402
from api import db  # noqa: E402
from api.settings import load_settings  # noqa: E402

TARGET_RATIO = 1.5
TARGET_MS_AT_REFERENCE = 500


# --- the dataset with its pay ------------------------------------------------------------------------------------

async def _apply_pay(url: str, seed: int, leads: int, as_of: datetime) -> dict:
    from api.app import configure_domain
    from domain.dataset import pay
    from domain.dataset.service import GENERATOR, Options, window

    configure_domain(dataclasses.replace(load_settings(), database_url=url, clock=None))
    await db.migrate(url)
    await db.init_db(url)
    try:
        win = window(Options(leads=leads, seed=seed, as_of=as_of))
        summary = await pay.generate_pay(GENERATOR, seed, win, max(1, leads // 4))
    finally:
        await db.close_db()
    return dataclasses.asdict(summary)


def pay_dataset(seed: int, leads: int) -> tuple[str, dict]:
    """(sqlite url, metadata) of the dataset with its pay: the cached copy, or made now from latency_bench's."""
    from domain.dataset.shape import PAY_VERSION
    base_url, meta = lb.dataset(None, seed, leads)
    base = Path(base_url.removeprefix("sqlite://"))
    path = base.with_name(f"{base.stem}-pay{PAY_VERSION}.sqlite3")
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        print(f"pay dataset: cached {path.relative_to(HERE.parent)}")
        return f"sqlite://{path}", json.loads(meta_path.read_text())
    partial = path.with_suffix(".partial.sqlite3")
    print(f"pay dataset: copying {base.name} and applying the pay step ...", flush=True)
    shutil.copyfile(base, partial)
    began = time.perf_counter()
    summary = asyncio.run(_apply_pay(f"sqlite://{partial}", seed, leads, datetime.fromisoformat(meta["as_of"])))
    connection = sqlite3.connect(partial)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    partial.rename(path)
    meta = {**meta, "pay": summary, "pay_seconds": round(time.perf_counter() - began, 1)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"pay dataset: pay step in {meta['pay_seconds']} s: {summary}")
    return f"sqlite://{path}", meta


# --- the baseline: hand-written SQL over the same rows ----------------------------------------------------------

# (1) the bookings credit of the period's won deals by person: each split's share, or all the owner's
BOOKINGS_SQL = """
WITH won AS (SELECT id, owner_id, amount_cents FROM opportunity
             WHERE status = 'WON' AND closed_at >= :start AND closed_at < :end)
SELECT person, sum(cents) FROM (
  SELECT w.owner_id AS person, w.amount_cents AS cents FROM won w
  WHERE w.owner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM opportunity_split s WHERE s.opportunity_id = w.id)
  UNION ALL
  SELECT s.person_id, w.amount_cents * CAST(s.percent AS REAL) / 100 FROM won w
  JOIN opportunity_split s ON s.opportunity_id = w.id
) GROUP BY person
"""
# (2) the bookings credit by team of the model of record (W_SHAPED: none is approved) from the stored credit rows
ATTRIBUTED_SQL = """
SELECT CAST(team_id AS TEXT), sum(amount_cents) FROM deal_credit
WHERE model_key = 'W_SHAPED' AND won_at >= :start AND won_at < :end AND position >= 0 GROUP BY 1
"""
# (3) the period's MQLs by the team of their first touch
MQLS_SQL = """
SELECT first_touch_team_id, count(*) FROM lead_fact WHERE mql_at >= :start AND mql_at < :end
  AND first_touch_team_id IS NOT NULL GROUP BY 1
"""
# (4) per SLA agreement of the period, both sides' met and counted items from the stored per-lead SLA rows
# (sla_lead; microseconds since the epoch): the hand-over (the marketing side) and the follow-up, decision and
# attempts items of the leads handed over to the sales team by now (the sales side); an item counts once done or due
SLA_SQL = """
WITH x AS (SELECT s.*, (s.handover_owner_id IN (SELECT id FROM person WHERE team_id = :sales_team)
                        AND s.handover_us <= :now) AS here
           FROM sla_lead s WHERE s.agreement_id = :agreement AND s.mql_us <= :now)
SELECT coalesce(sum(here AND handover_us <= handover_due_us), 0), coalesce(sum(here OR handover_due_us < :now), 0),
       coalesce(sum(here AND follow_up_us <= :now AND follow_up_us <= follow_up_due_us), 0)
       + coalesce(sum(here AND decision IS NOT NULL AND decision_us <= :now AND decision_us <= decision_due_us), 0)
       + coalesce(sum(here AND attempts_ok), 0),
       coalesce(sum(here AND (follow_up_us <= :now OR follow_up_due_us < :now)), 0)
       + coalesce(sum(here AND ((decision IS NOT NULL AND decision_us <= :now) OR decision_due_us < :now)), 0)
       + coalesce(sum(here AND (attempts_ok OR decision_due_us < :now)), 0)
FROM x
"""
AGREEMENTS_SQL = """SELECT a.id, a.marketing_team_id, a.sales_team_id FROM sla_agreement a JOIN period p
ON p.id = a.period_id WHERE p.key = :key"""


def baseline(path: str, period: dict) -> dict:
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        p = {"start": lb._ts(period["start"]), "end": lb._ts(period["end"])}
        team_of = dict(c.execute("SELECT id, team_id FROM person").fetchall())
        own = {person: cents for person, cents in c.execute(BOOKINGS_SQL, p).fetchall()}
        team: dict[int, float] = {}
        for person, cents in own.items():
            team[team_of[person]] = team.get(team_of[person], 0) + cents
        sla = {}
        now = {"key": period["key"], "now": int(period["now"].timestamp() * 1_000_000)}
        for agreement, marketing, sales in c.execute(AGREEMENTS_SQL, now).fetchall():
            h_met, h_counted, s_met, s_counted = c.execute(SLA_SQL, {
                "now": now["now"], "agreement": agreement, "sales_team": sales}).fetchone()
            sla[marketing] = h_met / h_counted if h_counted else 0
            sla[sales] = s_met / s_counted if s_counted else 0
        return {"own": own, "team": team, "attributed": dict(c.execute(ATTRIBUTED_SQL, p).fetchall()),
                "mqls": dict(c.execute(MQLS_SQL, p).fetchall()), "sla": sla}
    finally:
        c.close()


# --- the service -------------------------------------------------------------------------------------------------

STATEMENTS = """{ compStatements(period: "%s") { person { id email } targetVariable totalPayout locked draw
  drawBalance lines { component metric metricValue quota attainment curveValue gateOpen payout }
  clawbacks { amount } } }"""


def _person_pk(node_id: str) -> int:
    from schema.core.ids import decode_id
    return decode_id(node_id, "Person", "personId")


def agree(statements: list[dict], expected: dict, team_of: dict[int, int], won_deals: int) -> list[str]:
    """What differs between the statements' metric values and the SQL's figures (empty: they agree)."""
    problems = []
    for s in statements:
        person = _person_pk(s["person"]["id"])
        team = team_of[person]
        for line in s["lines"]:
            value = float(line["metricValue"])
            metric = line["metric"]
            if metric == "OWN_BOOKINGS":
                want, tolerance = expected["own"].get(person, 0) / 100, won_deals / 100
            elif metric == "TEAM_BOOKINGS":
                want, tolerance = expected["team"].get(team, 0) / 100, won_deals / 100
            elif metric == "ATTRIBUTED_BOOKINGS":
                want, tolerance = expected["attributed"].get(str(team), 0) / 100, 0.005
            elif metric == "MQLS_DELIVERED":
                want, tolerance = expected["mqls"].get(team, 0), 0
            elif metric == "SLA_COMPLIANCE":
                want, tolerance = expected["sla"].get(team, 0), 1e-6
            else:
                continue
            if abs(value - want) > tolerance:
                problems.append(f"{s['person']['email']} {line['component']}: {value} against the SQL's {want}")
    return problems


async def profile(url: str, as_of: datetime, key: str) -> None:
    """cProfile's top functions of the open quarter's statements, computed in process (no HTTP)."""
    from api.app import configure_domain
    from domain.comp.queries import statements
    from domain.org.service import get_period

    configure_domain(dataclasses.replace(load_settings(), database_url=url, clock=as_of))
    await db.init_db(url)
    try:
        view = await get_period(key)
        await statements(view)
        profiler = cProfile.Profile()
        profiler.enable()
        await statements(view)
        profiler.disable()
    finally:
        await db.close_db()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=int(os.environ.get("BENCH_LEADS", "100000")))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions of compStatements")
    args = parser.parse_args(argv)

    import httpx

    url, meta = pay_dataset(args.seed, args.leads)
    path = url.removeprefix("sqlite://")
    as_of = datetime.fromisoformat(meta["as_of"])
    from domain.org.service import PeriodView  # noqa: F401  (the domain's imports before the app's)
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    periods = c.execute("SELECT key, start, \"end\", status FROM period ORDER BY start").fetchall()
    team_of = dict(c.execute("SELECT id, team_id FROM person").fetchall())
    c.close()
    open_key, start, end, _ = [p for p in periods if p[3] == "OPEN"][-1]
    closed_key = [p for p in periods if p[3] == "CLOSED"][-1][0]
    period = {"key": open_key, "start": datetime.fromisoformat(start), "end": datetime.fromisoformat(end),
              "now": as_of}
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    won_deals = c.execute("SELECT count(*) FROM opportunity WHERE status = 'WON' AND closed_at >= ? AND "
                          "closed_at < ?", (lb._ts(period["start"]), lb._ts(period["end"]))).fetchone()[0]
    c.close()

    if args.profile:
        asyncio.run(profile(url, as_of, open_key))
    token = asyncio.run(lb._token(url, as_of, "pay bench"))
    figures: dict = {"leads": args.leads, "period": open_key, "won_deals": won_deals, "pay": meta.get("pay"),
                     "pay_step_seconds": meta.get("pay_seconds")}
    with lb.Server(url, as_of) as server, httpx.Client(base_url=server.base, timeout=600) as client:
        headers = {"Authorization": f"Bearer {token}"}
        sql_ms, expected = lb.median_ms(lambda: baseline(path, period), args.repeat)
        statements_ms, data = lb.median_ms(lambda: lb.graphql(client, token, STATEMENTS % open_key), args.repeat)

        def csv_export() -> int:
            response = client.get("/export/payouts.csv", params={"period": open_key}, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"payouts.csv: {response.status_code} {response.text[:200]}")
            return response.text.count("\n") - 1

        csv_ms, csv_rows = lb.median_ms(csv_export, args.repeat)
        closed_ms, closed = lb.median_ms(lambda: lb.graphql(client, token, STATEMENTS % closed_key), args.repeat)
    found = data["compStatements"]
    problems = agree(found, expected, team_of, won_deals)
    lines = sum(len(s["lines"]) for s in found)
    figures.update({
        "statements": len(found), "lines": lines, "csv_rows": csv_rows, "closed_period": closed_key,
        "closed_statements": len(closed["compStatements"]),
        "compStatements_ms": round(statements_ms, 1), "payouts_csv_ms": round(csv_ms, 1),
        "closed_compStatements_ms": round(closed_ms, 1), "sql_ms": round(sql_ms, 1),
        "compStatements_ratio": round(statements_ms / sql_ms, 2), "payouts_csv_ratio": round(csv_ms / sql_ms, 2),
        "figures_agree": not problems, "load": os.getloadavg()[0]})
    print(f"pay at {args.leads:,} leads ({open_key}: {len(found)} statements, {lines} lines, {won_deals:,} won deals; "
          f"load {os.getloadavg()[0]:.1f})")
    print(f"  SQL baseline (bookings credit by person with splits, attributed bookings, MQLs and SLA compliance by "
          f"team): "
          f"{sql_ms:.1f} ms")
    met = 0
    for name, ms in (("compStatements (open quarter)", statements_ms), ("payouts.csv (open quarter)", csv_ms)):
        ok = ms <= TARGET_RATIO * sql_ms and (args.leads < lb.REFERENCE_LEADS or ms < TARGET_MS_AT_REFERENCE)
        met += ok
        print(f"  {name}: {ms:.1f} ms, {ms / sql_ms:.2f}x the SQL {'(target met)' if ok else '(target missed)'}")
    print(f"  compStatements ({closed_key}, locked): {closed_ms:.1f} ms")
    print(f"  figures agree with the SQL: {'yes' if not problems else 'NO: ' + '; '.join(problems[:5])}")
    print(f"  targets met: {met} of 2 (within {TARGET_RATIO}x of the SQL"
          f"{f' and under {TARGET_MS_AT_REFERENCE} ms' if args.leads >= lb.REFERENCE_LEADS else ''})")
    record(f"pay_sqlite_{args.leads}", figures)
    return 0 if not problems else 1


def record(key: str, figures: dict) -> None:
    from datetime import timezone
    figures["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results = json.loads(lb.RESULTS.read_text()) if lb.RESULTS.exists() else {}
    results[key] = figures
    lb.RESULTS.write_text(json.dumps(results, indent=2) + "\n")  # in the file's order: a new key goes last
    f = figures
    with lb.HISTORY.open("a") as history:
        history.write(f"- {f['date']} · {key} · {f['leads']:,} leads · {f['period']} · {f['statements']} statements · "
                      f"compStatements {f['compStatements_ms']} ms vs SQL {f['sql_ms']} ms "
                      f"({f['compStatements_ratio']}x) · payouts.csv {f['payouts_csv_ms']} ms "
                      f"({f['payouts_csv_ratio']}x) · locked {f['closed_period']} {f['closed_compStatements_ms']} ms"
                      f" · agree {f['figures_agree']} · load {f['load']:.1f}\n")


if __name__ == "__main__":
    sys.exit(main())
