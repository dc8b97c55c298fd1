"""`sharedgoals generate`, run as a benchmark would, on small databases of its own."""
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.api import cli_support as cli

AS_OF = "2026-11-20"


def _generate(db: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, SHAREDGOALS_LOG_LEVEL="WARNING")
    env.pop("SHAREDGOALS_CLOCK", None)
    env.pop("DATABASE_URL", None)
    done = cli.run(["generate", "--database-url", f"sqlite://{db}", "--as-of", AS_OF, *args], env=env, timeout=180)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def _figures(db: Path) -> dict:
    with sqlite3.connect(db) as c:
        one = lambda sql: c.execute(sql).fetchone()[0]
        return {
            "teams": one("SELECT count(*) FROM team"),
            "people": one("SELECT count(*) FROM person"),
            "leads": one("SELECT count(*) FROM lead"),
            "events": one("SELECT count(*) FROM lead_event"),
            "touchpoints": one("SELECT count(*) FROM touchpoint"),
            "opportunities": one("SELECT count(*) FROM opportunity"),
            "amounts": one("SELECT sum(amount_cents) FROM opportunity"),
            "mqls": one("SELECT count(*) FROM lead_fact WHERE mql_at IS NOT NULL"),
            "scored_mqls": one("SELECT count(*) FROM lead_event WHERE stage = 'MQL' AND actor_name = 'lead scoring'"),
            "handovers": one("SELECT count(*) FROM lead_fact WHERE handover_at IS NOT NULL"),
            "decisions": one("SELECT count(*) FROM lead_fact WHERE decision IS NOT NULL"),
            "sla_agreements": one("SELECT count(*) FROM sla_agreement"),
            "objectives": one("SELECT count(*) FROM objective"),
            "definitions": one("SELECT count(*) FROM lead_definition WHERE status = 'ACTIVE'"),
            "plans": one("SELECT count(*) FROM comp_plan"),
            "splits": one("SELECT count(*) FROM opportunity_split"),
            "locked_payouts": one("SELECT sum(payout_cents) FROM comp_locked_line"),
            "locked_draws": one("SELECT sum(amount_cents) FROM comp_locked_draw"),
            "clawbacks": one("SELECT count(*) || ':' || coalesce(sum(amount_cents), 0) FROM comp_clawback"),
            "closed": one("SELECT group_concat(key) FROM (SELECT key FROM period WHERE status = 'CLOSED' ORDER BY key)"),
        }


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    db = tmp_path_factory.mktemp("generate") / "one.sqlite3"
    _generate(db, "--leads", "300", "--seed", "7")
    return db, _figures(db)


def test_generates_the_organisation_and_the_leads_asked_for(generated):
    _, f = generated
    assert (f["teams"], f["people"], f["leads"]) == (6, 40, 300)
    assert 4 * 300 <= f["touchpoints"] <= 6 * 300
    assert 0.05 * 300 <= f["opportunities"] <= 0.15 * 300
    assert (f["sla_agreements"], f["definitions"]) == (4, 1)
    assert f["objectives"] >= 4 * 3


def test_leads_become_mqls_by_stage_events_and_by_scoring_and_are_handed_over(generated):
    _, f = generated
    assert 0.2 * 300 <= f["mqls"] <= 0.4 * 300
    assert 0 < f["scored_mqls"] < f["mqls"]
    assert 0.6 * f["mqls"] <= f["handovers"] < f["mqls"]
    assert 0 < f["decisions"] <= f["handovers"]


def test_the_same_seed_gives_the_same_data(generated, tmp_path):
    _, first = generated
    again = cli.migrated_copy(tmp_path / "again.sqlite3")  # `generated` migrated its file itself
    _generate(again, "--leads", "300", "--seed", "7")
    assert _figures(again) == first


def test_another_seed_gives_other_data(generated, tmp_path):
    _, first = generated
    other = cli.migrated_copy(tmp_path / "other.sqlite3")
    _generate(other, "--leads", "300", "--seed", "8")
    assert _figures(other)["amounts"] != first["amounts"]


def test_running_twice_changes_nothing(generated):
    db, first = generated
    done = _generate(db, "--leads", "300", "--seed", "7")
    assert "0 created" in done.stdout and " 300 unchanged" in done.stdout
    assert _figures(db) == first


def test_another_as_of_day_on_the_same_database_is_refused_before_anything_is_written(generated):
    db, first = generated
    env = dict(os.environ, SHAREDGOALS_LOG_LEVEL="WARNING")
    done = cli.run(["generate", "--database-url", f"sqlite://{db}", "--as-of", "2026-11-10", "--leads", "300",
                    "--seed", "7"], env=env, timeout=180)
    assert done.returncode == 1
    assert "as of another day" in done.stderr
    assert _figures(db) == first


# --- the pay step ----------------------------------------------------------------------------------------------

PAY_LEADS = "2000"  # enough deals for a clawback inside its window (one at 300 leads is not certain)


@pytest.fixture(scope="module")
def paid(tmp_path_factory):
    db = tmp_path_factory.mktemp("pay") / "pay.sqlite3"
    done = _generate(db, "--leads", PAY_LEADS, "--seed", "7")
    return db, _figures(db), done.stdout


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()


def test_every_seller_sdr_and_marketer_has_a_plan_with_the_five_kinds_of_component_each_quarter(paid):
    db, f, _ = paid
    members = _rows(db, "SELECT p.id, t.name FROM person p JOIN team t ON t.id = p.team_id WHERE p.role = 'MEMBER' "
                        "AND t.name IN ('Field Sales', 'Sales Development', 'Demand Generation')")
    assert len(members) == 11 + 7 + 7 and f["plans"] == 4 * len(members)
    metrics = {m for (m,) in _rows(db, "SELECT DISTINCT metric FROM comp_component")}
    assert {"OWN_BOOKINGS", "ATTRIBUTED_BOOKINGS", "MQLS_DELIVERED", "SLA_COMPLIANCE"} <= metrics
    gated = _rows(db, "SELECT count(*) FROM comp_component c JOIN key_result k ON k.id = c.gate_key_result_id")
    assert gated[0][0] == 4 * len(members)  # one gated component a plan, on a shared key result of its quarter
    assert _rows(db, "SELECT count(*) FROM comp_plan WHERE clawback_days = 90")[0][0] == f["plans"]


def test_some_won_deals_are_split_70_30_and_every_split_deal_sums_to_100(paid):
    db, f, _ = paid
    won = _rows(db, "SELECT count(*) FROM opportunity WHERE status = 'WON'")[0][0]
    per_deal = _rows(db, "SELECT sum(s.percent), sum(CASE WHEN s.person_id = o.owner_id THEN s.percent END), "
                         "count(*) FROM opportunity_split s JOIN opportunity o ON o.id = s.opportunity_id "
                         "WHERE o.status = 'WON' GROUP BY s.opportunity_id")
    assert 0.05 * won <= len(per_deal) <= 0.15 * won + 1
    assert all((total, owners, n) == (100, 70, 2) for total, owners, n in per_deal)  # 70 to the owner, 30 to another


def test_past_quarters_are_closed_with_locked_statements_and_the_new_hires_draw_is_carried_and_repaid(paid):
    db, f, stdout = paid
    assert f["closed"] == "2026-Q1,2026-Q2,2026-Q3" and "closed 2026-Q1, 2026-Q2, 2026-Q3" in stdout
    locked = _rows(db, "SELECT p.key, count(DISTINCT l.person_id) FROM comp_locked_line l JOIN period p "
                       "ON p.id = l.period_id GROUP BY p.key ORDER BY p.key")
    assert locked == [("2026-Q1", 25), ("2026-Q2", 25), ("2026-Q3", 25)]
    draws = _rows(db, "SELECT d.person_id, p.key, d.amount_cents, d.balance_after_cents FROM comp_locked_draw d "
                      "JOIN period p ON p.id = d.period_id WHERE d.person_id IN (SELECT person_id FROM comp_plan "
                      "WHERE draw_minimum_cents IS NOT NULL) ORDER BY d.person_id, p.key")
    assert len({r[0] for r in draws}) == 2  # two new hires
    topped_up = [r for r in draws if r[2] > 0]
    assert topped_up and all(r[3] >= r[2] for r in topped_up)  # a recoverable top-up is owed afterwards
    for person in {r[0] for r in draws}:
        balance = 0
        for _, _, amount, after in (r for r in draws if r[0] == person):
            balance += amount  # each quarter's balance is the earlier one plus its top-up or less its repayment
            assert after == balance


def test_deals_lost_or_cut_inside_their_window_are_clawed_back_in_the_open_quarter(paid):
    db, f, _ = paid
    rows = _rows(db, "SELECT c.amount_cents, cp.key, sp.key, o.status, o.amount_cents, d.cents FROM comp_clawback c "
                     "JOIN period cp ON cp.id = c.period_id JOIN period sp ON sp.id = c.source_period_id "
                     "JOIN opportunity o ON o.id = c.opportunity_id JOIN comp_locked_deal d ON "
                     "d.opportunity_id = c.opportunity_id AND d.person_id = c.person_id AND "
                     "d.period_id = c.source_period_id AND d.position = c.position")
    assert rows
    for amount, charged, source, status, now_cents, locked_cents in rows:
        assert amount < 0 and charged == "2026-Q4" and source < charged
        assert status == "LOST" or now_cents < locked_cents or locked_cents < now_cents  # changed since locked


def test_running_the_pay_step_twice_changes_nothing(paid):
    db, first, _ = paid
    done = _generate(db, "--leads", PAY_LEADS, "--seed", "7")
    assert "0 plans and 0 split deals created, closed none" in done.stdout
    assert " 0 created" in done.stdout.split("opportunities.csv")[1].splitlines()[0]
    assert _figures(db) == first


def test_no_pay_leaves_the_quarters_open_and_without_plans(tmp_path):
    db = cli.migrated_copy(tmp_path / "nopay.sqlite3")
    _generate(db, "--leads", "300", "--seed", "7", "--no-pay")
    f = _figures(db)
    assert (f["plans"], f["splits"], f["closed"]) == (0, 0, None)
