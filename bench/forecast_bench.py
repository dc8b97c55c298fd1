"""The forecast backtest on the benchmark dataset (`make bench`): each past quarter replayed as of weeks 4, 8 and 11,
the forecast's mean absolute percentage error beside the naive projection's (the value so far scaled by the
elapsed share of the quarter), how often the actual fell inside p10-p90, and how long the replay took.

BENCH_LEADS sets the dataset (the cached one of bench/latency_bench.py); --database-url runs it elsewhere."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


async def _replay(url: str, as_of: datetime) -> tuple[str, float, int]:
    import dataclasses

    from api import db
    from api.app import configure_domain
    from api.settings import load_settings
    from domain import clock
    from domain.forecast import backtest

    configure_domain(dataclasses.replace(load_settings(), database_url=url, clock=None))
    clock.set_now(as_of)
    await db.migrate(url)
    await db.init_db(url)
    try:
        started = time.perf_counter()
        points = await backtest.backtest()
        seconds = time.perf_counter() - started
        return backtest.table(points), seconds, len(points)
    finally:
        await db.close_db()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    import latency_bench
    leads = int(os.environ.get("BENCH_LEADS", "1000000"))
    url, meta = latency_bench.dataset(args.database_url, args.seed, leads)
    as_of = datetime.fromisoformat(meta["as_of"])
    table, seconds, points = asyncio.run(_replay(url, as_of))
    print(f"\nforecast backtest at {leads:,} leads (as of {as_of.date()}): {points} points in {seconds:.1f} s")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
