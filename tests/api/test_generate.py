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
