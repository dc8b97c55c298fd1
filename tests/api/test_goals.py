"""Shared goals through GraphQL: objectives co-owned by sales and marketing, key results, check-ins, status."""
from datetime import datetime, timezone

from domain.goals.models import CheckIn, KeyResult, Objective, ObjectiveOwner
from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE, OBJECTIVE_UPDATE, Goals
from tests.api.support import codes
from tests.harness import snapshot

MIDPOINT = datetime(2026, 11, 16, tzinfo=timezone.utc)  # half of 2026-Q4 (Oct 1 .. Jan 1) has elapsed


@snapshot
def goals(api, admin):
    api.set_now(MIDPOINT)
    return Goals(api, admin)


def _errors(result):
    return [(e["code"], e["field"]) for e in result["userErrors"]]


def test_an_objective_is_co_owned_by_sales_and_marketing(goals):
    objective = goals.objective()
    assert [(o["team"]["name"], o["share"]) for o in objective["owners"]] == [
        ("Field Sales", 0.6), ("Demand Generation", 0.4)]
    assert objective["period"] == {"key": "2026-Q4", "status": "OPEN"}
    assert objective["version"] == 1 and objective["expectedProgress"] == 0.5


def test_shares_that_do_not_sum_to_one_are_invalid_and_nothing_is_written(goals, api):
    owners = [{"teamId": goals.sales, "share": "0.6"}, {"teamId": goals.marketing, "share": "0.5"}]
    result = api.gql(OBJECTIVE_CREATE, {"input": {"title": "X", "period": "2026-Q4", "owners": owners}},
                     goals.leader)["objectiveCreate"]
    assert _errors(result) == [("INVALID", ["input", "owners"])]
    assert api.run(Objective.all().count()) == 0 and api.run(ObjectiveOwner.all().count()) == 0


def test_bad_objective_input_reports_every_field(goals, api):
    from schema.core.ids import encode_id
    owners = [{"teamId": goals.sales, "share": "0.5"}, {"teamId": encode_id("Team", 999), "share": "0.5"}]
    result = api.gql(OBJECTIVE_CREATE, {"input": {"title": " ", "period": "2026-Q4", "owners": owners}},
                     goals.leader)["objectiveCreate"]
    assert sorted(_errors(result)) == [("INVALID", ["input", "title"]),
                                       ("NOT_FOUND", ["input", "owners", "1", "teamId"])]
    bad_period = api.gql(OBJECTIVE_CREATE, {"input": {"title": "X", "period": "2026-Q9", "owners": [
        {"teamId": goals.sales, "share": "1"}]}}, goals.leader)["objectiveCreate"]
    assert _errors(bad_period) == [("INVALID", ["input", "period"])]
    assert api.run(Objective.all().count()) == 0


def test_decrease_to_worked_example_48_to_24_hours_at_30_is_three_quarters(goals):
    objective = goals.objective()
    kr = goals.key_result(objective["id"], kind="DECREASE_TO", start="48", target="24", unit="HOURS")
    assert (kr["current"], kr["progress"]) == ("48.00", 0.0)  # before the first check-in, current = start
    result = goals.check_in(kr["id"], "30")
    assert result["keyResult"]["progress"] == 0.75
    assert result["keyResult"]["status"] == "ON_TRACK"  # 0.75 done with half the quarter gone


def test_a_move_in_the_wrong_direction_is_negative_raw_progress_and_no_progress(goals):
    objective = goals.objective()
    kr = goals.key_result(objective["id"], start="10", target="20")
    figures = goals.check_in(kr["id"], "5")["keyResult"]
    assert (figures["rawProgress"], figures["progress"], figures["status"]) == (-0.5, 0.0, "OFF_TRACK")


def test_overshooting_is_raw_progress_above_one_and_accomplished(goals):
    objective = goals.objective()
    kr = goals.key_result(objective["id"], start="0", target="100")
    figures = goals.check_in(kr["id"], "150")["keyResult"]
    assert (figures["rawProgress"], figures["progress"], figures["status"]) == (1.5, 1.0, "ACCOMPLISHED")


def test_status_boundaries_at_the_midpoint(goals):
    objective = goals.objective()
    krs = {value: goals.key_result(objective["id"], title=value, target="1000") for value in
           ("336", "335", "170", "169")}
    statuses = {value: goals.check_in(kr["id"], value)["keyResult"]["status"] for value, kr in krs.items()}
    # gaps: 0.164 on track, 0.165 at risk, 0.33 at risk, 0.331 off track
    assert statuses == {"336": "ON_TRACK", "335": "AT_RISK", "170": "AT_RISK", "169": "OFF_TRACK"}
    assert goals.read(objective["id"])["status"] == "OFF_TRACK"  # the weakest of its key results


def test_objective_progress_is_the_weighted_mean_of_its_key_results(goals):
    objective = goals.objective()
    a = goals.key_result(objective["id"], title="A", weight="3")
    b = goals.key_result(objective["id"], title="B", weight="1")
    goals.check_in(a["id"], "100")
    goals.check_in(b["id"], "0")
    assert goals.read(objective["id"])["progress"] == 0.75


def test_contributing_children_count_with_weight_one_and_supporting_ones_not(goals):
    parent = goals.objective("Company: win the mid-market")
    kr = goals.key_result(parent["id"])
    goals.check_in(kr["id"], "100")
    child = goals.objective("Marketing: fill the funnel", parents=[{"objectiveId": parent["id"], "link": "CONTRIBUTES"}])
    goals.key_result(child["id"])  # no check-in: 0
    helper = goals.objective("Enablement", parents=[{"objectiveId": parent["id"], "link": "SUPPORTS"}])
    goals.check_in(goals.key_result(helper["id"])["id"], "100")
    assert goals.read(parent["id"])["progress"] == 0.5  # (1 × 1 + 1 × 0) / 2; the supporting child is not counted


def test_a_parent_cycle_is_invalid(goals, api):
    top = goals.objective("Top")
    middle = goals.objective("Middle", parents=[{"objectiveId": top["id"], "link": "CONTRIBUTES"}])
    result = api.gql(OBJECTIVE_UPDATE, {"input": {"id": top["id"], "expectedVersion": 1, "parents": [
        {"objectiveId": middle["id"], "link": "CONTRIBUTES"}]}}, goals.leader)["objectiveUpdate"]
    assert _errors(result) == [("INVALID", ["input", "parents"])]
    assert goals.read(top["id"])["version"] == 1


def test_a_stale_expected_version_conflicts_and_changes_nothing(goals, api):
    objective = goals.objective()
    first = api.gql(OBJECTIVE_UPDATE, {"input": {"id": objective["id"], "expectedVersion": 1, "title": "First"}},
                    goals.leader)["objectiveUpdate"]
    assert first["userErrors"] == [] and first["objective"]["version"] == 2
    second = api.gql(OBJECTIVE_UPDATE, {"input": {"id": objective["id"], "expectedVersion": 1, "title": "Second",
                                                  "owners": [{"teamId": goals.sales, "share": "1"}]}},
                     goals.leader)["objectiveUpdate"]
    assert _errors(second) == [("CONFLICT", ["input", "expectedVersion"])]
    now = goals.read(objective["id"])
    assert now["title"] == "First" and len(now["owners"]) == 2


def test_update_replaces_owners_and_records_history(goals, api):
    objective = goals.objective()
    api.gql(OBJECTIVE_UPDATE, {"input": {"id": objective["id"], "expectedVersion": 1, "owners": [
        {"teamId": goals.sales, "share": "0.5"}, {"teamId": goals.marketing, "share": "0.5"}]}}, goals.leader)
    history = api.gql("""query($id: ID!) { node(id: $id) { ... on Objective {
        history { edges { node { action actorName before after } } } } } }""", {"id": objective["id"]},
                      goals.seller)["node"]["history"]["edges"]
    assert [h["node"]["action"] for h in history] == ["objectiveCreate", "objectiveUpdate"]
    change = history[1]["node"]
    assert change["actorName"] == "Sam Lead"
    assert [o["share"] for o in change["before"]["owners"]] == ["0.6", "0.4"]
    assert [o["share"] for o in change["after"]["owners"]] == ["0.5", "0.5"]


def test_target_on_the_wrong_side_of_start_is_invalid(goals, api):
    objective = goals.objective()
    for kind, start, target in (("INCREASE_TO", "10", "10"), ("DECREASE_TO", "24", "48")):
        result = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "X", "kind": kind,
                                               "unit": "COUNT", "start": start, "target": target}},
                         goals.leader)["keyResultCreate"]
        assert _errors(result) == [("INVALID", ["input", "target"])]
    assert api.run(KeyResult.all().count()) == 0


def test_check_ins_are_kept_newest_first_with_their_author(goals):
    objective = goals.objective()
    kr = goals.key_result(objective["id"])
    goals.check_in(kr["id"], "10", comment="first deals in")
    goals.check_in(kr["id"], confidence=0.7, comment="pipeline looks thin")  # no value: current stays 10
    goals.check_in(kr["id"], "30", token=goals.leader)
    read = goals.read(objective["id"])["keyResults"][0]
    assert read["current"] == "30"
    assert [(c["value"], c["confidence"], c["comment"], c["author"]["name"]) for c in read["checkIns"]] == [
        ("30", None, "", "Sam Lead"), (None, 0.7, "pipeline looks thin", "Sofia Seller"),
        ("10", None, "first deals in", "Sofia Seller")]


def test_confidence_outside_zero_to_one_is_invalid(goals, api):
    kr = goals.key_result(goals.objective()["id"])
    result = goals.check_in(kr["id"], "5", confidence=1.2)
    assert _errors(result) == [("INVALID", ["input", "confidence"])]
    assert api.run(CheckIn.all().count()) == 0


def test_only_owner_team_members_check_in(goals, api):
    kr = goals.key_result(goals.objective()["id"])
    result = goals.check_in(kr["id"], "5", token=goals.outsider)
    assert _errors(result) == [("FORBIDDEN", ["input", "keyResultId"])]
    assert goals.check_in(kr["id"], "5", token=goals.admin)["userErrors"] == []
    assert api.run(CheckIn.all().count()) == 1


def test_members_read_goals_but_only_leaders_and_admins_set_them(goals, api):
    objective = goals.objective()
    body = api.post(OBJECTIVE_CREATE, {"input": {"title": "Mine", "period": "2026-Q4",
                                                 "owners": [{"teamId": goals.sales, "share": "1"}]}}, goals.seller)
    assert codes(body["errors"]) == ["FORBIDDEN"]
    listed = api.gql('{ objectives(period: "2026-Q4") { edges { node { title } } } }', token=goals.outsider)
    assert [e["node"]["title"] for e in listed["objectives"]["edges"]] == [objective["title"]]


def test_objectives_filter_by_owner_team(goals, api):
    goals.objective("Shared")
    api.gql(OBJECTIVE_CREATE, {"input": {"title": "CS only", "period": "2026-Q4",
                                         "owners": [{"teamId": goals.cs, "share": "1"}]}}, goals.admin)
    query = 'query($t: ID) { objectives(period: "2026-Q4", teamId: $t) { edges { node { title } } } }'
    titles = lambda t: [e["node"]["title"] for e in api.gql(query, {"t": t}, goals.seller)["objectives"]["edges"]]
    assert titles(goals.marketing) == ["Shared"]
    assert titles(goals.cs) == ["CS only"]
    assert titles(None) == ["Shared", "CS only"]


def test_a_metric_with_no_data_source_is_refused(goals, api, monkeypatch):
    from domain.goals import metrics
    monkeypatch.delitem(metrics._registry, metrics.MetricName.BOOKINGS)  # as before the deal data existed
    objective = goals.objective()
    result = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "MQLs", "kind": "INCREASE_TO",
                                           "unit": "COUNT", "start": "0", "target": "500", "source": "METRIC",
                                           "metric": {"name": "BOOKINGS"}}}, goals.leader)["keyResultCreate"]
    assert _errors(result) == [("INVALID", ["input", "metric", "name"])]


def test_a_metric_key_result_is_computed_and_refuses_a_typed_value(goals, api, monkeypatch):
    from domain.goals import metrics
    from domain.org.models import Person

    async def people_in_teams(team_ids, period, as_of):  # a real read of stored rows, standing in for deal data
        from decimal import Decimal
        return Decimal(await Person.filter(team_id__in=list(team_ids)).count())
    monkeypatch.setitem(metrics._registry, metrics.MetricName.BOOKINGS,
                        metrics.Metric(metrics.MetricName.BOOKINGS, metrics.Unit.COUNT, "test", people_in_teams))
    objective = goals.objective()
    kr = goals.key_result(objective["id"], target="4", source="METRIC", metric={"name": "BOOKINGS"})
    assert (kr["current"], kr["progress"]) == ("2", 0.5)  # two people in the owner teams (sales + marketing)
    refused = goals.check_in(kr["id"], "4")
    assert _errors(refused) == [("INVALID", ["input", "value"])]
    assert goals.check_in(kr["id"], confidence=0.9, comment="on plan")["userErrors"] == []


def test_listing_goals_with_key_results_and_check_ins_takes_a_constant_number_of_queries(goals, api):
    def statements():
        query = """{ objectives(period: "2026-Q4", first: 50) { edges { node {
            title progress expectedProgress status score period { key } owners { share team { name } }
            parents { link objective { title } }
            keyResults { title current progress rawProgress status checkIns(first: 5) { value author { name } } } } } } }"""
        with api.count_queries() as counter:
            data = api.gql(query, token=goals.seller)
        return len(data["objectives"]["edges"]), counter.count

    def add(n):
        for i in range(n):
            objective = goals.objective(f"Objective {i}")
            for j in range(2):
                kr = goals.key_result(objective["id"], title=f"KR {j}")
                goals.check_in(kr["id"], str(10 * (j + 1)))
    add(5)
    few = statements()
    add(45)
    many = statements()
    assert (few[0], many[0]) == (5, 50)
    assert many[1] == few[1], (few, many)


def test_key_result_metrics_say_which_figures_have_a_data_source(goals, api, monkeypatch):
    from domain.goals import metrics as registry
    monkeypatch.delitem(registry._registry, registry.MetricName.BOOKINGS)
    metrics = api.gql("{ keyResultMetrics { name unit available description } }", token=goals.seller)
    by_name = {m["name"]: m for m in metrics["keyResultMetrics"]}
    assert set(by_name) == {"BOOKINGS", "ATTRIBUTED_BOOKINGS", "PIPELINE_CREATED", "SOURCED_PIPELINE", "MQL_COUNT",
                            "MQL_TO_SQL_RATE", "ACCEPTANCE_RATE", "SLA_FOLLOW_UP_RATE", "MEDIAN_RESPONSE_HOURS"}
    assert by_name["BOOKINGS"] == {"name": "BOOKINGS", "unit": None, "available": False,
                                   "description": "no data source yet"}
    assert (by_name["MQL_COUNT"]["available"], by_name["MQL_COUNT"]["unit"]) == (True, "COUNT")
