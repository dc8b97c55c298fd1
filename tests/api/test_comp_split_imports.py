"""The `opportunity-splits` import (issue 21, point 1): a deal's crediting splits for pay from a file, over HTTP,
the command line and the Salesforce OpportunitySplit object, by the rule of opportunitySplitSet (a deal's rows are
its whole set, summing to exactly 100.00; FINANCE and ADMIN); a refused file changes nothing."""
from __future__ import annotations

import sqlite3

from tests.api.crm_support import mappings_dir, post_export, salesforce_mapping  # noqa: F401  (a fixture)
from tests.api.fixtures import cli_env, contribution_org, imported, post_import  # noqa: F401  (fixtures)

HEADER = "external_id,opportunity_external_id,person_email,percent"
STATEMENTS = """{ compStatements(period: "2026-Q4") { person { email } lines { metricValue payout } } }"""
SPLITS = """{ opportunities(first: 5, period: "2026-Q4") { edges { node { externalId
  splits { percent person { email } } } } } }"""
PERSON = """{ people(first: 50) { edges { node { id email } } } }"""


def _marketing_plan(api, org):
    """The marketing leader's plan: 10,000 at 60,000 of own bookings (the seller's is 20,000 at 60,000)."""
    people = {e["node"]["email"]: e["node"]["id"] for e in api.gql(PERSON, token=org.finance)["people"]["edges"]}
    result = api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
      userErrors { code } } }""", {"input": {"personId": people["mktlead@example.com"], "period": "2026-Q4",
                                             "targetVariable": "10000", "components": [
                                                 {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "60000",
                                                  "weight": "1"}]}}, org.finance)
    assert result["compPlanCreate"]["userErrors"] == []


def _pay(api, org):
    return {s["person"]["email"]: (s["lines"][0]["metricValue"], s["lines"][0]["payout"])
            for s in api.gql(STATEMENTS, token=org.finance)["compStatements"]}


def _splits(api, org):
    [deal] = api.gql(SPLITS, token=org.finance)["opportunities"]["edges"]
    return [(s["person"]["email"], s["percent"]) for s in deal["node"]["splits"]]


def test_a_splits_file_credits_each_person_their_share_and_a_second_import_updates_it(api, contribution_org):
    org = contribution_org
    _marketing_plan(api, org)
    assert _pay(api, org) == {"seller@example.com": ("30000.00", "10000.00"),
                              "mktlead@example.com": ("0.00", "0.00")}
    body = f"{HEADER}\nS-1,O-1,seller@example.com,70\nS-2,O-1,MKTLEAD@example.com,30.00\n"
    dry = api.http.post("/import/opportunity-splits", content=body.encode(), params={"dryRun": "true"},
                        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {org.finance}"})
    assert dry.status_code == 200
    assert (dry.json()["dryRun"], dry.json()["imported"], dry.json()["created"]) == (True, False, 2)
    assert _splits(api, org) == []                                 # a dry run writes nothing
    assert imported(api, "opportunity-splits", body, org.finance)["created"] == 2
    # the 30,000 deal: 21,000 (70%) of 60,000 pays the seller 7,000; 9,000 (30%) pays marketing 1,500
    assert _pay(api, org) == {"seller@example.com": ("21000.00", "7000.00"),
                              "mktlead@example.com": ("9000.00", "1500.00")}
    assert _splits(api, org) == [("seller@example.com", "70.00"), ("mktlead@example.com", "30.00")]

    again = imported(api, "opportunity-splits", body, org.finance)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = imported(api, "opportunity-splits",
                       f"{HEADER}\nS-1,O-1,seller@example.com,60\nS-2,O-1,mktlead@example.com,40\n", org.finance)
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 2, 0)
    # 18,000 of 60,000 × 20,000 = 6,000; 12,000 of 60,000 × 10,000 = 2,000
    assert _pay(api, org) == {"seller@example.com": ("18000.00", "6000.00"),
                              "mktlead@example.com": ("12000.00", "2000.00")}
    audit = api.gql("""{ auditLog(first: 50) { edges { node { action entity } } } }""", token=org.admin)
    assert sum(1 for e in audit["auditLog"]["edges"] if e["node"] == {"action": "import", "entity": "Opportunity"}) \
        == 2   # one per import that changed the deal's splits (the unchanged one wrote nothing)


def test_a_refused_splits_file_changes_nothing_and_says_which_lines(api, contribution_org):
    org = contribution_org
    imported(api, "opportunity-splits", f"{HEADER}\nS-1,O-1,seller@example.com,70\nS-2,O-1,mktlead@example.com,30\n",
             org.finance)
    cases = [
        (f"{HEADER}\nS-1,O-1,seller@example.com,70\nS-2,O-1,mktlead@example.com,20\n",
         [(3, "opportunity 'O-1' (lines 2, 3): the splits sum to 90.00, not exactly 100.00")]),
        (f"{HEADER}\nS-1,O-1,seller@example.com,70\nS-2,O-1,seller@example.com,30\n",
         [(3, "a person has one split of a deal")]),
        (f"{HEADER}\nS-1,O-1,seller@example.com,100.5\n", [(2, "a split is more than 0 and at most 100 percent")]),
        (f"{HEADER}\nS-1,O-1,seller@example.com,0\n", [(2, "a split is more than 0 and at most 100 percent")]),
        (f"{HEADER}\nS-1,O-1,seller@example.com,33.333\n", [(2, "percent '33.333' has more than 2 decimal places")]),
        (f"{HEADER}\nS-1,O-9,seller@example.com,100\n",
         [(2, "opportunity_external_id 'O-9' names no opportunity (import the opportunity first)")]),
        (f"{HEADER}\nS-1,O-1,nobody@example.com,70\nS-2,O-1,mktlead@example.com,30\n",
         [(2, "person_email 'nobody@example.com' names no person"),
          (3, "the deal's splits are refused with line 2: its rows are its whole set of splits")]),
        (f"{HEADER}\nS-1,O-1,seller@example.com,70\nS-1,O-1,mktlead@example.com,30\n", None),
    ]
    for body, errors in cases:
        response = post_import(api, "opportunity-splits", body, org.finance)
        assert response.status_code == 422, body
        found = [(e["line"], e["reason"]) for e in response.json()["errors"]]
        if errors is not None:
            assert [(line, next(r for n, r in found if n == line and reason in r) and reason)
                    for line, reason in errors] == errors, found
        else:
            # the repeated external id, and with it the rest of its deal's set
            assert [n for n, _ in found] == [3, 2] and "external_id 'S-1' appears on line 2" in found[0][1], found
        assert _splits(api, org) == [("seller@example.com", "70.00"), ("mktlead@example.com", "30.00")], body
    # skipBad: the good deal's rows import, the bad deal's are reported
    skipped = post_import(api, "opportunity-splits", f"{HEADER}\nS-1,O-1,seller@example.com,50\n"
                                                     f"S-2,O-1,mktlead@example.com,50\nS-3,O-9,seller@example.com,100\n",
                          org.finance, skip_bad=True)
    assert skipped.status_code == 200 and [e["line"] for e in skipped.json()["errors"]] == [4]
    assert _splits(api, org) == [("seller@example.com", "50.00"), ("mktlead@example.com", "50.00")]


def test_only_finance_and_admins_import_splits(api, contribution_org):
    org = contribution_org
    body = f"{HEADER}\nS-1,O-1,seller@example.com,100\n"
    for token in (org.sales_leader, org.seller_token):
        response = post_import(api, "opportunity-splits", body, token)
        assert response.status_code == 403
        assert "set by FINANCE or an admin" in response.json()["errors"][0]["message"]
    assert _splits(api, org) == []
    assert imported(api, "opportunity-splits", body, org.admin)["created"] == 1
    assert _splits(api, org) == [("seller@example.com", "100.00")]


def test_the_command_line_imports_a_splits_file_and_dry_runs_it(cli_env, tmp_path):  # noqa: F811
    cli_env.seeded()
    leads = tmp_path / "leads.csv"
    leads.write_text("external_id,company,contact_name,email,industry,employees,region,title,source,created_at\n"
                     "CLI-L-1,Split Co,,,,,,,,2026-10-01T09:00:00+00:00\n")
    deals = tmp_path / "deals.csv"
    deals.write_text("external_id,lead_external_id,name,amount,created_at,status,closed_at,owner_email\n"
                     "CLI-O-1,CLI-L-1,Split deal,40000,2026-10-02T09:00:00+00:00,WON,2026-10-20T09:00:00+00:00,"
                     "sofia.seller@demo.sharedgoals.dev\n")
    cli_env("import", "leads", str(leads))
    cli_env("import", "opportunities", str(deals))
    splits = tmp_path / "splits.csv"
    splits.write_text(f"{HEADER}\nCS-1,CLI-O-1,sofia.seller@demo.sharedgoals.dev,75\n"
                      "CS-2,CLI-O-1,omar.seller@demo.sharedgoals.dev,25\n")
    dry = cli_env("import", "opportunity-splits", str(splits), "--dry-run")
    assert "2 created" in dry.stdout and "nothing was written" in dry.stdout, dry.stdout
    done = cli_env("import", "opportunity-splits", str(splits))
    assert "2 created" in done.stdout, done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nCS-1,CLI-O-1,sofia.seller@demo.sharedgoals.dev,75\n"
                   "CS-2,CLI-O-1,omar.seller@demo.sharedgoals.dev,15\n")
    refused = cli_env("import", "opportunity-splits", str(bad), check=False)
    assert refused.returncode != 0
    assert "line 3" in refused.stderr and "sum to 90.00" in refused.stderr, refused.stderr
    path = cli_env.env["DATABASE_URL"].removeprefix("sqlite://")
    with sqlite3.connect(path) as db:
        rows = db.execute("""SELECT p.email, s.percent FROM opportunity_split s JOIN person p ON p.id = s.person_id
                             JOIN opportunity o ON o.id = s.opportunity_id WHERE o.external_id = 'CLI-O-1'
                             ORDER BY p.email""").fetchall()
    assert [(email, float(percent)) for email, percent in rows] == [
        ("omar.seller@demo.sharedgoals.dev", 25.0), ("sofia.seller@demo.sharedgoals.dev", 75.0)]
