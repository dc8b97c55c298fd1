"""Writers at once: imports of the same records, and writers of the same lead, give what they would one after the
other (rows, counts, audit, derived rows); a file that repeats a record with other content is refused."""
from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from domain.attribution.models import Touchpoint
from domain.audit.models import AuditEntry
from domain.imports import service as import_service
from domain.leads.facts import rebuild_all_facts
from domain.leads.models import Lead, LeadEvent, LeadFact, SlaLead
from schema.core.ids import encode_id
from tests.api.fixtures import LEAD_HEADER, TOUCH_HEADER, busy_timeout
from tests.api.fixtures import post_import as post
from tests.api.leads_support import ASSIGN, Org

UTC = timezone.utc
ROWS = 1500
BATCH = 500  # rows a batch of the three imports holds: three batches a file, as many chances to interleave
ROUNDS = 3
FIELDS = ("company", "contact_name", "industry", "employees")


def _content(file: str, i: int) -> tuple:
    """File A, B or C's content of lead i: every file changes a different, overlapping share of the leads."""
    changed = {"A": i % 2 == 0, "B": i % 3 == 0, "C": i % 5 != 0}[file]
    if not changed:
        return (f"Company {i}", "Ann", "Software", 100)
    return (f"Company {i} by {file}", f"Ann {file}", "Fintech" if file == "B" else "Software", 100 + ord(file))


def _file(file: str, round_no: int) -> str:
    lines = [LEAD_HEADER]
    for i in range(ROWS):
        company, contact, industry, employees = _content(file, i + round_no)  # another mix each round
        lines.append(f"CL-{i},{company},{contact},c{i}@x.example,{industry},{employees},EMEA,VP,web,"
                     "2026-11-02T09:00:00+00:00")
    return "\n".join(lines) + "\n"


def _apply(state: dict[str, tuple], rows: dict[str, tuple]) -> tuple[int, int, int]:
    created = updated = unchanged = 0
    for key, content in rows.items():
        if key not in state:
            created += 1
        elif state[key] != content:
            updated += 1
        else:
            unchanged += 1
        state[key] = content
    return created, updated, unchanged


def _rows_of(file: str, round_no: int) -> dict[str, tuple]:
    return {f"CL-{i}": _content(file, i + round_no) for i in range(ROWS)}


def _stored(api) -> dict[str, tuple]:
    rows = api.run(Lead.filter(external_id__startswith="CL-").values_list("external_id", *FIELDS))
    return {r[0]: tuple(r[1:]) for r in rows}


def _at_once(calls) -> list:
    """Run the calls in threads, released together."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def patient_writers(api):
    """Writers that wait up to a minute for each other (the third import waits for two others, on a machine
    shared with other work), set on the live server as SHAREDGOALS_BUSY_TIMEOUT would."""
    with busy_timeout(api, 60):
        yield


def test_three_imports_of_the_same_leads_at_once_equal_one_serial_order(api, admin, patient_writers, monkeypatch):
    """Three files with the same 1,500 external ids and different content, posted at once, three rounds: the rows
    and every file's counts are those of one order of the three run one after the other, and every update is
    audited (on PostgreSQL they used to interleave, 3,000 rows from one file and 2,000 from another, and rows
    reported unchanged had differed). Batches of BATCH rows, so each file is written in several."""
    monkeypatch.setattr(import_service, "MAX_ROWS_PER_BATCH", BATCH)
    assert ROWS > 2 * import_service.batch_size(import_service.kind_named("leads"))
    client = httpx.Client(base_url=api.http.base_url, timeout=120)
    state: dict[str, tuple] = {}
    for round_no in range(ROUNDS):
        files = {name: _file(name, round_no) for name in "ABC"}
        audited_before = api.run(AuditEntry.filter(action="import", entity="Lead").count())

        def importer(name):
            return lambda: client.post("/import/leads", content=files[name].encode(),
                                       headers={"Content-Type": "text/csv", "Authorization": f"Bearer {admin}"})
        responses = dict(zip("ABC", _at_once([importer(name) for name in "ABC"])))
        assert {name: r.status_code for name, r in responses.items()} == {"A": 200, "B": 200, "C": 200}
        got = {name: (r.json()["created"], r.json()["updated"], r.json()["unchanged"]) for name, r in responses.items()}
        stored = _stored(api)
        orders = []
        for order in itertools.permutations("ABC"):
            serial = dict(state)
            counts = {name: _apply(serial, _rows_of(name, round_no)) for name in order}
            if counts == got and serial == stored:
                orders.append(order)
        assert orders, f"round {round_no}: counts {got} match no serial order of the three files"
        state = stored
        audited = api.run(AuditEntry.filter(action="import", entity="Lead").count()) - audited_before
        assert audited == sum(updated for _, updated, _ in got.values())
        assert len(stored) == ROWS
    client.close()


def test_a_record_repeated_in_a_file_with_other_content_is_a_line_error(api, admin, monkeypatch):
    monkeypatch.setattr(import_service, "MAX_ROWS_PER_BATCH", 3)  # lines 2-4 and 5-7: repeats in and across batches
    row = "{},Acme{},Ann,ann@acme.example,Software,500,EMEA,VP,web,2026-11-02T09:00:00+00:00"
    body = "\n".join([LEAD_HEADER, row.format("L-1", ""), row.format("L-2", ""), row.format("L-1", ""),
                      row.format("L-3", ""), row.format("L-1", " Two"), row.format("L-3", " Three")]) + "\n"
    refused = post(api, "leads", body, admin)
    assert refused.status_code == 422
    result = refused.json()
    assert [e["line"] for e in result["errors"]] == [6, 7]
    assert "appears on an earlier line of this file" in result["errors"][0]["reason"]
    assert "appears on line 5 of this file" in result["errors"][1]["reason"]  # same batch: the line is known
    assert "differs in company" in result["errors"][1]["reason"]
    assert api.run(Lead.all().count()) == 0  # all or nothing

    skipped = post(api, "leads", body, admin, skip_bad=True).json()
    assert (skipped["created"], skipped["updated"], skipped["unchanged"], skipped["errorCount"]) == (3, 0, 1, 2)
    assert sorted(api.run(Lead.all().values_list("company", flat=True))) == ["Acme"] * 3  # the first rows stand
    assert api.run(AuditEntry.filter(entity="Lead").count()) == 0  # nothing was updated

    again = post(api, "leads", "\n".join([LEAD_HEADER, row.format("L-1", " New"), row.format("L-1", " New")]) + "\n",
                 admin).json()
    assert (again["created"], again["updated"], again["unchanged"], again["errors"]) == (0, 1, 1, [])

    # a stored record given unchanged, then changed, further on in the same file: refused too
    body = "\n".join([LEAD_HEADER, row.format("L-2", ""), row.format("L-3", ""), row.format("L-1", " New"),
                      row.format("L-2", " Changed")]) + "\n"
    late = post(api, "leads", body, admin)
    assert late.status_code == 422 and [e["line"] for e in late.json()["errors"]] == [5]
    assert api.run(Lead.get(external_id="L-2")).company == "Acme"


def test_two_writers_of_one_lead_at_once_leave_its_derived_rows_as_one_after_the_other(api, admin, patient_writers):
    """Hand-overs (leadAssign) and imports of its touches, all at once on one MQL: one facts row, equal to the
    facts rebuilt from the raw rows, one SLA row, one MQL event, and the owner of the last assignment."""
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    api.set_now(now)
    org = Org(api, admin)
    api.gql("""mutation($input: SlaAgreementCreateInput!) { slaAgreementCreate(input: $input) {
      userErrors { code } } }""", {"input": {
        "period": "2026-Q4", "marketingTeamId": org.marketing, "salesTeamId": org.sales, "mqlVolume": 10,
        "acceptanceRateTarget": 0.6, "handoverHours": "4", "followUpHours": "24", "followUpRateTarget": 0.8,
        "decisionDays": "5"}},
        org.sales_leader)
    from tests.api.support import create_person
    sellers = [org.seller] + [create_person(api, admin, org.sales, email=f"s{i}@example.com", name=f"Seller {i}")
                              for i in range(3)]
    lead = org.lead("L-1")
    mql = now - timedelta(days=3)
    org.touch(lead, mql - timedelta(hours=1), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="webinar", external_id="M-1")
    org.events(lead, (mql, "STAGE", "MQL"))
    lead_id = api.run(Lead.get(external_id="L-1")).id

    def assign(person):
        return lambda: api.http.post("/graphql", headers={"Authorization": f"Bearer {admin}"}, json={
            "query": ASSIGN, "variables": {"input": {"leadId": lead, "ownerId": person["id"]}}})

    def touches(n):
        body = TOUCH_HEADER + "".join(f"\nT-{n}-{k},L-1,{(mql + timedelta(hours=n, minutes=k)).isoformat()},SALES,"
                                      f"phone,,Field Sales,seller@example.com," for k in range(3)) + "\n"
        return lambda: httpx.post(api.server.base_url + "/import/touchpoints", content=body.encode(), timeout=60,
                                  headers={"Content-Type": "text/csv", "Authorization": f"Bearer {admin}"})

    for round_no in range(3):
        calls = [assign(p) for p in sellers * 2] + [touches(round_no * 10 + n) for n in range(3)]
        responses = _at_once(calls)
        assert [r.status_code for r in responses] == [200] * len(calls), [r.text for r in responses]
        assert all(not r.json().get("errors") and not r.json().get("data", {}).get("leadAssign", {}).get("userErrors")
                   for r in responses[:len(sellers) * 2]), [r.text for r in responses]

    async def derived():
        facts = await LeadFact.filter(lead_id=lead_id).values()
        return (facts, await SlaLead.filter(lead_id=lead_id).count(),
                await LeadEvent.filter(lead_id=lead_id, type="STAGE", stage="MQL").count())
    facts, sla_rows, mqls = api.run(derived())
    assert len(facts) == 1 and sla_rows == 1 and mqls == 1
    last = api.run(LeadEvent.filter(lead_id=lead_id, type="ASSIGNED").order_by("-at", "-id").first())
    assert facts[0]["owner_person_id"] == last.owner_person_id
    assert api.run(Touchpoint.filter(lead_id=lead_id, kind="SALES").count()) == 27  # every import stands

    async def rebuilt():
        await rebuild_all_facts()
        return await LeadFact.filter(lead_id=lead_id).values()
    again = api.run(rebuilt())
    assert [{k: v for k, v in f.items() if k != "id"} for f in again] == \
        [{k: v for k, v in f.items() if k != "id"} for f in facts]
    assert encode_id("Lead", lead_id) == lead
