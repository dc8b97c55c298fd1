"""MARKOV and SHAPLEY through GraphQL and CSV: the period's training journeys, the drivers, per-deal credit that sums
to each amount, the model of record, and the refusals (an order outside 1-3, SHAPLEY over more than 12 channels)."""
from datetime import datetime, timezone
from fractions import Fraction

import pytest

from domain.attribution import markov
from domain.attribution.markov import TrainingJourney as J
from tests.api.fixtures import APPROVE, PROPOSE
from tests.api.fixtures import write_deal as _deal
from tests.api.leads_support import Org
from tests.harness import snapshot

UTC = timezone.utc
day = lambda d, m=10: datetime(2026, m, d, 12, tzinfo=UTC)  # noqa: E731
DRIVERS = """query($o: Int! = 1) { attributionDrivers(period: "2026-Q4", order: $o) {
  channel removalEffect share valueShare journeys } }"""
ATTRIBUTION = """query($m: AttributionModel, $g: CreditGroupBy!, $o: Int! = 1) {
  attribution(period: "2026-Q4", model: $m, groupBy: $g, markovOrder: $o) { key pipeline bookings bookingsShare } }"""
CREDITS = """query($m: AttributionModel!, $o: Int! = 1) { opportunities(first: 50) { edges { node { externalId amount
  credits(model: $m, markovOrder: $o) { channel amount weight } } } } }"""


@snapshot
def org(api, admin):
    """The three-channel example of tests/domain/test_data_driven_rules.py, as deals of 2026-Q4 (A = webinar,
    B = email, C = call): A>B won 10,000.00, A>C lost, B won 5,000.00, C>B won 3,000.00."""
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC))
    org = Org(api, admin)
    journeys = [("L-1", ["webinar", "email"], "WON", 1_000_000), ("L-2", ["webinar", "call"], "LOST", 400_000),
                ("L-3", ["email"], "WON", 500_000), ("L-4", ["call", "email"], "WON", 300_000)]
    for n, (external_id, channels, status, amount) in enumerate(journeys):
        lead = org.lead(external_id, company=f"Company {n}")
        for k, channel in enumerate(channels):
            org.touch(lead, day(1 + k), kind="MARKETING", team="Demand Generation", person="dana@example.com",
                      channel=channel, external_id=f"{external_id}-t{k}")
        org.touch(lead, day(28), channel="call", external_id=f"{external_id}-after-close")  # after every close
        _deal(api, lead, amount, day(5), status=status, closed=day(10 + n), external_id=f"O-{n + 1}")
    return org


def _drivers(api, token, order=None):
    return {d["channel"]: d for d in api.gql(DRIVERS, {} if order is None else {"o": order}, token)["attributionDrivers"]}


def test_the_drivers_are_the_hand_worked_chain_of_the_periods_closed_deals(org, api):
    drivers = _drivers(api, org.seller_token)
    assert sorted(drivers) == ["call", "email", "webinar"]
    assert [drivers[c]["removalEffect"] for c in ("webinar", "email", "call")] == pytest.approx([1 / 2, 1, 1 / 3])
    assert [drivers[c]["share"] for c in ("webinar", "email", "call")] == pytest.approx([3 / 11, 6 / 11, 2 / 11])
    assert sum(d["share"] for d in drivers.values()) == pytest.approx(1)
    assert sum(d["valueShare"] for d in drivers.values()) == pytest.approx(1)
    assert [drivers[c]["journeys"] for c in ("webinar", "email", "call")] == [2, 3, 2]  # the touch after close: no


def test_a_disqualified_lead_without_a_deal_is_a_non_converting_journey_and_open_deals_train_nothing(org, api):
    lead = org.lead("L-9", company="Gone")
    org.touch(lead, day(2), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="webinar", external_id="L-9-t0")
    org.events(lead, (day(3), "STAGE", "DISQUALIFIED", None, "NOT_ICP"))
    org.touch(lead, day(4), channel="email", external_id="L-9-after")  # after the disqualification: left out
    open_lead = org.lead("L-10", company="Still open")
    org.touch(open_lead, day(2), channel="ads", external_id="L-10-t0")
    _deal(api, open_lead, 100_000, day(6), status="OPEN", external_id="O-open")
    expected = markov.chain([J(("webinar", "email"), True, 1_000_000), J(("webinar", "call"), False),
                             J(("email",), True, 500_000), J(("call", "email"), True, 300_000), J(("webinar",), False)])
    drivers = _drivers(api, org.seller_token)
    assert sorted(drivers) == ["call", "email", "webinar"] and drivers["webinar"]["journeys"] == 3
    assert {c: d["share"] for c, d in drivers.items()} == pytest.approx({d.channel: d.share for d in expected.drivers})


def test_markov_credit_by_channel_splits_each_deal_by_its_touches_effects(org, api):
    """Effects P - P(-c): webinar 3/8, email 3/4, call 1/4. O-1 (webinar, email) 10,000.00 -> 1/3, 2/3:
    3,333.33 / 6,666.67; O-3 all email; O-4 (call, email) 3,000.00 -> 1/4, 3/4: 750.00 / 2,250.00."""
    lines = {line["key"]: line for line in api.gql(ATTRIBUTION, {"m": "MARKOV", "g": "CHANNEL"},
                                                   org.seller_token)["attribution"]}
    assert {k: v["bookings"] for k, v in lines.items()} == {
        "webinar": "3333.33", "email": "13916.67", "call": "750.00"}
    assert sum(float(v["pipeline"]) for v in lines.values()) == 22000.0  # all four created in the quarter


@pytest.mark.parametrize("model,order", [("MARKOV", 1), ("MARKOV", 2), ("MARKOV", 3), ("SHAPLEY", 1)])
def test_every_deal_sums_to_its_amount_and_the_lines_to_the_deals(org, api, model, order):
    per_channel: dict[str, int] = {}
    for edge in api.gql(CREDITS, {"m": model, "o": order}, org.seller_token)["opportunities"]["edges"]:
        deal = edge["node"]
        cents = [round(float(c["amount"]) * 100) for c in deal["credits"]]
        assert sum(cents) == round(float(deal["amount"]) * 100), deal
        if deal["externalId"] != "O-2":  # the LOST deal books nothing
            for c, amount in zip(deal["credits"], cents):
                per_channel[c["channel"]] = per_channel.get(c["channel"], 0) + amount
    lines = api.gql(ATTRIBUTION, {"m": model, "g": "CHANNEL", "o": order}, org.seller_token)["attribution"]
    assert {line["key"]: round(float(line["bookings"]) * 100) for line in lines if line["bookings"] != "0.00"} == {
        k: v for k, v in per_channel.items() if v}


def test_shapley_credit_is_the_exact_shapley_split(org, api):
    """Channel sets: {webinar, email} won, {webinar, call} lost, {email} won, {call, email} won (c, e, w).
    v(0) = 0, v(c) = 0 (no journey), v(e) = 1/1, v(w) = 0, v(ce) = 2/2, v(cw) = 0/1, v(ew) = 2/2, v(cew) = 3/4.
    phi(w) = 1/3 (0) + 1/6 (0 - 0) + 1/6 (1 - 1) + 1/3 (3/4 - 1) = -1/12
    phi(e) = 1/3 (1) + 1/6 (1 - 0) + 1/6 (1 - 0) + 1/3 (3/4 - 0) = 11/12
    phi(c) = 1/3 (0) + 1/6 (1 - 1) + 1/6 (0 - 0) + 1/3 (3/4 - 1) = -1/12      (sum 3/4, the conversion rate)
    Floored at 0, every touch but email's weighs nothing: the won deals' 18,000.00 all go to email; the lost deal
    O-2 (webinar, call: both 0) is split LINEAR, 2,000.00 of pipeline each."""
    from domain.attribution import shapley
    phi = shapley.shapley_values([J(("webinar", "email"), True), J(("webinar", "call"), False), J(("email",), True),
                                  J(("call", "email"), True)])
    assert phi == {"webinar": Fraction(-1, 12), "email": Fraction(11, 12), "call": Fraction(-1, 12)}
    lines = {line["key"]: (line["pipeline"], line["bookings"]) for line in api.gql(
        ATTRIBUTION, {"m": "SHAPLEY", "g": "CHANNEL"}, org.seller_token)["attribution"]}
    assert lines == {"email": ("18000.00", "18000.00"), "webinar": ("2000.00", "0.00"), "call": ("2000.00", "0.00")}


def test_a_markov_order_outside_one_to_three_is_invalid_everywhere(org, api):
    for query, variables in ((ATTRIBUTION, {"m": "MARKOV", "g": "TEAM", "o": 4}), (DRIVERS, {"o": 0}),
                             (CREDITS, {"m": "MARKOV", "o": 7})):
        response = api.post(query, variables, org.seller_token)
        assert [e["extensions"]["code"] for e in response["errors"]] == ["INVALID"], response
    response = api.http.get("/export/attribution.csv", params={"period": "2026-Q4", "model": "MARKOV",
                                                               "markovOrder": "5"},
                            headers={"Authorization": f"Bearer {org.seller_token}"})
    assert response.status_code == 400 and "markovOrder" in response.text
    result = api.gql(PROPOSE, {"input": {"period": "2026-Q4", "model": "MARKOV", "markovOrder": 4}},
                     org.marketing_leader)["attributionModelOfRecordPropose"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID", ["input", "markovOrder"])]


def test_shapley_over_more_than_twelve_channels_is_invalid_naming_the_count(org, api):
    for n in range(10):  # 3 channels + 10 more = 13
        lead = org.lead(f"X-{n}", company=f"Extra {n}")
        org.touch(lead, day(2), channel=f"channel-{n}", external_id=f"X-{n}-t")
        _deal(api, lead, 10_000, day(3), status="LOST", closed=day(4), external_id=f"OX-{n}")
    response = api.post(ATTRIBUTION, {"m": "SHAPLEY", "g": "CHANNEL"}, org.seller_token)
    assert [e["extensions"]["code"] for e in response["errors"]] == ["INVALID"]
    assert "13" in response["errors"][0]["message"] and "12" in response["errors"][0]["message"]
    csv = api.http.get("/export/attribution.csv", params={"period": "2026-Q4", "model": "SHAPLEY"},
                       headers={"Authorization": f"Bearer {org.seller_token}"})
    assert csv.status_code == 400 and "13" in csv.text
    proposal = api.gql(PROPOSE, {"input": {"period": "2026-Q4", "model": "SHAPLEY"}},
                       org.marketing_leader)["attributionModelOfRecordPropose"]
    assert [(e["code"], e["field"]) for e in proposal["userErrors"]] == [("INVALID", ["input", "model"])]
    assert api.gql(ATTRIBUTION, {"m": "MARKOV", "g": "CHANNEL"}, org.seller_token)["attribution"]  # MARKOV still


def test_markov_as_the_model_of_record_drives_attributed_credit_and_the_credits_csv(org, api):
    proposal = api.gql(PROPOSE, {"input": {"period": "2026-Q4", "model": "MARKOV", "markovOrder": 2}},
                       org.marketing_leader)["attributionModelOfRecordPropose"]["modelOfRecord"]
    api.gql(APPROVE, {"id": proposal["id"]}, org.marketing_leader)
    both = api.gql(APPROVE, {"id": proposal["id"]}, org.sales_leader)["attributionModelOfRecordApprove"]
    assert both["modelOfRecord"]["status"] == "ACTIVE" and both["userErrors"] == []
    records = api.gql('{ attributionModelsOfRecord(period: "2026-Q4") { model markovOrder status } }',
                      token=org.seller_token)["attributionModelsOfRecord"]
    assert records[0] == {"model": "MARKOV", "markovOrder": 2, "status": "ACTIVE"}
    of_record = api.gql(ATTRIBUTION, {"m": None, "g": "CHANNEL"}, org.seller_token)["attribution"]
    explicit = api.gql(ATTRIBUTION, {"m": "MARKOV", "g": "CHANNEL", "o": 2}, org.seller_token)["attribution"]
    assert of_record == explicit
    import csv
    import io
    response = api.http.get("/export/credits.csv", params={"period": "2026-Q4"},
                            headers={"Authorization": f"Bearer {org.seller_token}"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["model"] for r in rows} == {"MARKOV"}
    for deal, amount in (("O-1", 10000.0), ("O-3", 5000.0), ("O-4", 3000.0)):
        assert sum(float(r["amount"]) for r in rows if r["opportunity"] == deal) == amount
    booked = {k["key"]: k["bookings"] for k in explicit}
    exported = api.http.get("/export/attribution.csv", params={"period": "2026-Q4", "model": "MARKOV",
                                                               "groupBy": "CHANNEL", "markovOrder": "2"},
                            headers={"Authorization": f"Bearer {org.seller_token}"})
    assert {r["key"]: r["bookings"] for r in csv.DictReader(io.StringIO(exported.text))} == booked


def test_comparison_puts_markov_and_shapley_beside_the_position_models(org, api):
    columns = api.gql("""{ attributionComparison(period: "2026-Q4", models: [LINEAR, MARKOV, SHAPLEY],
        groupBy: CHANNEL, markovOrder: 1) { model lines { key bookings } } }""",
                      token=org.seller_token)["attributionComparison"]
    assert [c["model"] for c in columns] == ["LINEAR", "MARKOV", "SHAPLEY"]
    for column in columns:
        assert round(sum(float(line["bookings"]) for line in column["lines"]) * 100) == 1_800_000
    markov_column = {line["key"]: line["bookings"] for line in columns[1]["lines"]}
    assert markov_column["webinar"] == "3333.33"


def _journey_reads(api, token) -> tuple[dict, int]:
    """The drivers, and how many statements read training journeys for them."""
    with api.count_queries() as counter:
        drivers = _drivers(api, token)
    return drivers, sum("UNION ALL" in statement for statement in counter.statements)


def test_a_closed_periods_chain_is_kept_and_new_facts_in_it_are_seen(org, api):
    before, reads = _journey_reads(api, org.seller_token)
    assert reads == 1 and _journey_reads(api, org.seller_token)[1] == 1  # open: computed on every request
    api.gql('mutation { periodClose(input: {period: "2026-Q4", reason: "early close"}) { userErrors { code } } }',
            token=org.admin)
    assert _journey_reads(api, org.seller_token) == (before, 1)  # the first read of the closed period
    assert _journey_reads(api, org.seller_token) == (before, 0)  # then kept
    lead = org.lead("L-late", company="Late")
    org.touch(lead, day(2), channel="webinar", external_id="L-late-t")
    _deal(api, lead, 100_000, day(3), status="LOST", closed=day(9), external_id="O-late")
    assert _drivers(api, org.seller_token)["webinar"]["journeys"] == 3  # the cached chain was not reused


@pytest.mark.parametrize("model", ["MARKOV", "SHAPLEY"])
def test_the_stored_rows_reweighed_give_the_live_figures(org, api, model):
    """Deals with fresh stored rows (after a rebuild) are re-weighed from them; without rows they are computed from
    their journeys: the same lines for every grouping."""
    from domain.attribution import stored
    lead = org.lead("L-5", company="Mixed")
    org.touch(lead, day(2), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="email", external_id="L-5-t0")
    org.touch(lead, day(3), channel="webinar", external_id="L-5-t1")
    _deal(api, lead, 123_457, day(4), status="OPEN", external_id="O-5")  # pipeline only
    _deal(api, None, 50_000, day(4), status="WON", closed=day(20), external_id="O-6")  # no lead: UNATTRIBUTED
    live = {g: api.gql(ATTRIBUTION, {"m": model, "g": g}, org.seller_token)["attribution"]
            for g in ("TEAM", "PERSON", "CHANNEL", "CAMPAIGN")}
    api.run(stored.rebuild_all())
    for group, lines in live.items():
        with api.count_queries() as counter:
            again = api.gql(ATTRIBUTION, {"m": model, "g": group}, org.seller_token)["attribution"]
        assert again == lines, group
        assert any("FROM deal_credit WHERE" in s for s in counter.statements)
        assert not any('"touchpoint"' in s for s in counter.statements), group  # no journey rebuilt
