"""Indexes and plans: every statement a report request sends that filters one of the large tables uses an index.

The reports run over HTTP on a small data set; each SELECT they sent is explained by SQLite (EXPLAIN QUERY PLAN,
which does not depend on the values bound without ANALYZE statistics), and a full scan of a large table is a
failure. `SHOW_PLANS=1 pytest -s tests/api/test_query_plans.py` prints every plan. The migrations are the same
files on PostgreSQL, so the indexes are too."""
import os
import re
import sqlite3

import pytest

from tests.api.fixtures import AUDIT, CONTRIBUTION, LEADS, OPPORTUNITIES, SHARED_WINS, STATEMENTS
from tests.api.fixtures import add_deals as _add_deals
from tests.api.fixtures import agree as _agree
from tests.harness import TEST_DATABASE_URL

LARGE = {"lead", "lead_fact", "lead_event", "touchpoint", "opportunity", "check_in", "audit_entry", "deal_credit",
         "sla_lead"}

REPORTS = [
    ("attribution", '{ attribution(period: "2026-Q4", model: W_SHAPED) { key pipeline bookings } }'),
    ("attribution by person", '{ attribution(period: "2026-Q4", groupBy: PERSON) { key pipeline bookings } }'),
    ("pipelineByTeam", '{ pipelineByTeam(period: "2026-Q4") { team { name } sourcedPipeline influencedPipeline } }'),
    ("sharedWins", SHARED_WINS),
    ("slaReport", '{ slaReport(period: "2026-Q4") { mqlVolume acceptanceRate followUpCompliance '
                  'medianResponseHours people { person { name } } awards { person { name } } '
                  'breaches(first: 50) { edges { node { side item state lead { company } } } } } }'),
    ("leadFeedback", '{ leadFeedback(period: "2026-Q4") { stage reasonCode source count } }'),
    ("leads by stage", '{ leads(first: 50, stage: MQL) { edges { node { company } } } }'),
    ("leads by period", '{ leads(first: 50, period: "2026-Q4") { edges { node { company } } } }'),
    ("leads with everything", LEADS),
    ("opportunities", OPPORTUNITIES),
    ("statements", STATEMENTS),
    ("teamContribution", CONTRIBUTION),
    ("companyContribution", '{ companyContribution(period: "2026-Q4") { mqlsDelivered pipeline bookings } }'),
    ("auditLog", AUDIT),
    ("objectives", '{ objectives(period: "2026-Q4") { edges { node { title progress '
                   'keyResults { progress checkIns(first: 5) { value } } } } } }'),
]

@pytest.fixture
def org(reports_org):
    return reports_org


sqlite_only = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")),
                                 reason="EXPLAIN QUERY PLAN is SQLite's; the same migrations make the same indexes")


def _statement(message: str) -> str | None:
    sql = (message.rsplit(": [", 1)[0] if message.endswith("]") else message).strip()
    return sql if sql.upper().startswith(("SELECT", "WITH")) else None


def _blanks(sql: str) -> list:
    """None for each parameter: `?` placeholders, or numbered `?N` ones (each bound once)."""
    numbered = [int(n) for n in re.findall(r"\?(\d+)", sql)]
    return [None] * (max(numbered) if numbered else sql.count("?"))


def _full_scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    plan = conn.execute("EXPLAIN QUERY PLAN " + sql, _blanks(sql)).fetchall()
    scans = []
    for *_, detail in plan:
        found = re.match(r"SCAN (\w+)(?: AS \w+)?(.*)", detail)
        if found and found.group(1) in LARGE and "INDEX" not in found.group(2):
            scans.append(detail)
    return scans


@sqlite_only
def test_every_report_statement_on_a_large_table_uses_an_index(org, api, capsys):
    from api.db import normalise_url

    _add_deals(api, org, 3)
    assert _agree(org, api)["userErrors"] == []
    conn = sqlite3.connect(normalise_url(TEST_DATABASE_URL)[len("sqlite://"):])
    problems, explained = [], 0
    try:
        for name, query in REPORTS:
            with api.count_queries() as counter:
                api.gql(query, token=org.admin)
            for message in counter.statements:
                sql = _statement(message)
                if sql is None or "WHERE" not in sql or not any(re.search(rf'"{t}"|\b{t}\b', sql) for t in LARGE):
                    continue
                explained += 1
                if os.environ.get("SHOW_PLANS"):
                    with capsys.disabled():
                        print(f"\n{name}: {sql}")
                        for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + sql, _blanks(sql)):
                            print("    " + detail)
                for scan in _full_scans(conn, sql):
                    problems.append(f"{name}: {scan}\n    {sql}")
    finally:
        conn.close()
    assert explained > 40, explained
    assert not problems, "full scans of large tables:\n" + "\n".join(problems)
