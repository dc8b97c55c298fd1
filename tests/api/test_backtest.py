"""`sharedgoals backtest` on a generated organisation of its own: the forecast replayed as of weeks of past
quarters learns nothing from later facts, and its "actual" is the quarter's real figure."""
import os
import sqlite3
from pathlib import Path

import pytest

from tests.api import cli_support as cli

AS_OF = "2026-11-20"


def _run(db: Path, *args: str) -> str:
    env = dict(os.environ, SHAREDGOALS_LOG_LEVEL="WARNING", DATABASE_URL=f"sqlite://{db}",
               SHAREDGOALS_CLOCK=f"{AS_OF}T00:00:00+00:00")
    done = cli.run(args, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    db = cli.migrated_copy(tmp_path_factory.mktemp("backtest") / "org.sqlite3")  # generate's own migrate: no-op
    env = dict(os.environ, SHAREDGOALS_LOG_LEVEL="WARNING")
    env.pop("SHAREDGOALS_CLOCK", None)
    env.pop("DATABASE_URL", None)
    done = cli.run(["generate", "--database-url", f"sqlite://{db}", "--as-of", AS_OF, "--leads", "3000", "--seed", "11"],
                   env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return db


def _rows(out: str) -> dict[tuple[str, int, str], list[str]]:
    rows = {}
    for line in out.splitlines():
        if line[:4].isdigit() and "-Q" in line[:8]:
            period, week, *rest = line.split()
            basis = rest[-1]
            numbers = rest[-7:-1]
            subject = " ".join(rest[:-7])
            rows[(period, int(week), subject)] = numbers + [basis]
    return rows


def _cents(text: str) -> int:
    return int(text.replace(",", "").replace(".", ""))


def test_backtest_replays_past_quarters_and_learns_nothing_from_later_facts(generated):
    out = _run(generated, "backtest", "--weeks", "4,8,11")
    rows = _rows(out)
    assert {(p, w) for p, w, _ in rows} == {(p, w) for p in ("2026-Q1", "2026-Q2", "2026-Q3") for w in (4, 8, 11)}
    assert "forecast MAPE" in out and "naive MAPE" in out
    # the actual is the quarter's bookings, summed here from the deals themselves
    with sqlite3.connect(generated) as c:
        q3 = c.execute("SELECT sum(amount_cents) FROM opportunity WHERE status = 'WON' "
                       "AND closed_at >= '2026-07-01' AND closed_at < '2026-10-01'").fetchone()[0]
    actual, booked, expected, p10, p90, naive, basis = rows[("2026-Q3", 8, "bookings, all teams")]
    assert _cents(actual) == q3
    assert _cents(booked) <= _cents(expected) and _cents(p10) <= _cents(p90)
    assert basis in ("CELLS", "WHOLE_HISTORY")

    # what happened after 26 August 2026 (Q3's week 8) is rewritten: every deal closed after it lost, every deal
    # created after it gone. The forecast made that day does not change; the actual does.
    with sqlite3.connect(generated) as c:
        c.execute("UPDATE opportunity SET status = 'LOST' WHERE closed_at > '2026-08-26'")
        c.execute("DELETE FROM deal_credit WHERE opportunity_id IN "
                  "(SELECT id FROM opportunity WHERE created_at > '2026-08-26')")
        c.execute("DELETE FROM opportunity WHERE created_at > '2026-08-26'")
    again = _rows(_run(generated, "backtest", "--weeks", "8"))[("2026-Q3", 8, "bookings, all teams")]
    assert again[1:5] == [booked, expected, p10, p90]
    assert _cents(again[0]) < _cents(actual)


def test_backtest_refuses_weeks_outside_a_quarter(generated):
    env = dict(os.environ, DATABASE_URL=f"sqlite://{generated}")
    done = cli.run(["backtest", "--weeks", "0,14"], env=env)
    assert done.returncode == 2 and "1 to 13" in done.stderr
