"""The rules of bounded cost without a database: the field cost table, the estimate over the real schema, the
budget's buckets, and the turns long loops give the event loop."""
from __future__ import annotations

import asyncio
import time

import pytest
from graphql import parse

from api.limits import Allowance, RateLimiter
from domain import turns as turns_module
from domain.turns import Turns
from schema.core import costs
from schema.core.limits import CostRefused, estimate_cost
from schema.schema import build_schema

SCHEMA = build_schema()._schema


def cost(query: str, variables: dict | None = None) -> int:
    return estimate_cost(SCHEMA, parse(query), None, variables)


def test_live_models_cost_what_a_whole_period_costs_and_stored_ones_a_sum():
    assert costs.model_cost("TIME_DECAY", "3") == costs.model_cost("TIME_DECAY", 0.5) == costs.model_cost("CUSTOM") \
        == costs.LIVE_MODEL
    assert costs.model_cost("W_SHAPED") == costs.model_cost(None) == costs.model_cost("LINEAR", "3") \
        == costs.STORED_REPORT
    # TIME_DECAY at its default half-life: stored rows for every deal (ages measured to the close or last touch)
    assert costs.model_cost("TIME_DECAY") == costs.model_cost("TIME_DECAY", "7.000") == \
        costs.STORED_REPORT
    assert costs.model_cost("A_MODEL_NOBODY_STORES") == costs.LIVE_MODEL
    assert costs.LIVE_MODEL > 100 * costs.STORED_REPORT


def test_comparison_models_are_counted_once_each_in_first_seen_order():
    assert costs.distinct_models(["TIME_DECAY", "LINEAR", "TIME_DECAY", "W_SHAPED", "LINEAR"]) == \
        ["TIME_DECAY", "LINEAR", "W_SHAPED"]
    assert costs.comparison_cost(["TIME_DECAY"] * 10) == costs.comparison_cost(["TIME_DECAY"]) == \
        costs.STORED_REPORT
    assert costs.comparison_cost(["LINEAR", "W_SHAPED"]) == 2 * costs.STORED_REPORT
    # a model not stored reads the period's deals once, then is computed over them
    assert costs.comparison_cost(["LINEAR", "A_MODEL_NOBODY_STORES"]) == \
        costs.STORED_REPORT + costs.PERIOD_DEALS + costs.LIVE_MODEL


def test_an_import_costs_one_unit_per_thousand_rows():
    assert [costs.import_cost(n) for n in (0, 1, 1000, 1001, 250_000)] == [1, 1, 1, 2, 250]


def test_an_export_costs_what_its_graphql_twin_costs():
    assert costs.export_cost("attribution", {"model": "TIME_DECAY"}) == costs.STORED_REPORT
    assert costs.export_cost("attribution", {"model": "LINEAR"}) == costs.STORED_REPORT
    assert costs.export_cost("attribution", {}) == costs.STORED_REPORT
    assert costs.export_cost("credits", {}) == costs.PERIOD_DEALS


def test_a_list_argument_counts_at_its_length_literal_or_variable():
    assert cost('{ nodes(ids: ["a", "b", "c"]) { id } }') == 1 + 3
    assert cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 40}) == 1 + 40
    assert cost("{ teams { name } }") == 1 + 10  # no list argument: the default list size


def test_nodes_refuses_more_than_100_ids():
    assert cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 100}) == 101
    with pytest.raises(CostRefused) as refused:
        cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 101})
    assert refused.value.extensions == {"field": "nodes", "argument": "ids", "maxItems": 100, "given": 101}


def test_a_report_field_costs_by_its_arguments_literal_or_variable():
    query = '{ attribution(period: "2026-Q4", model: %s) { key } }'
    assert cost(query % "TIME_DECAY") == costs.STORED_REPORT + 10
    assert cost(query % "TIME_DECAY, halfLifeDays: 3") == costs.LIVE_MODEL + 10
    assert cost(query % "FIRST_TOUCH") == costs.STORED_REPORT + 10
    half_life = 'query($h: Decimal) { attribution(period: "2026-Q4", model: TIME_DECAY, halfLifeDays: $h) { key } }'
    assert cost(half_life, {"h": "3"}) == costs.LIVE_MODEL + 10
    assert cost(half_life, {"h": "7"}) == cost(half_life, {}) == costs.STORED_REPORT + 10
    by_variable = 'query($m: AttributionModel) { attribution(period: "2026-Q4", model: $m) { key } }'
    assert cost(by_variable, {"m": "CUSTOM"}) == costs.LIVE_MODEL + 10
    assert cost(by_variable, {}) == costs.STORED_REPORT + 10
    comparison = '{ attributionComparison(period: "2026-Q4", models: [TIME_DECAY, TIME_DECAY, LINEAR]) { model } }'
    assert cost(comparison) == costs.comparison_cost(["TIME_DECAY", "LINEAR"]) + 2 * 1


def test_a_timeline_counts_the_events_it_gives():
    query = '{ leads(first: 2) { edges { node { timeline%s { at } } } } }'
    assert cost(query % "(last: 5)") == 1 + 2 * (1 + 1 + 1 + 5 * 1)
    assert cost(query % "") == 1 + 2 * (1 + 1 + 1 + 50 * 1)  # the default
    assert cost(query % "(last: 100000)") == 1 + 2 * (1 + 1 + 1 + 500 * 1)  # it gives 500 at most


def test_a_bucket_spends_cost_and_earns_it_back_evenly_over_a_minute():
    now = [0.0]
    bucket = RateLimiter(600, clock=lambda: now[0])  # 10 units a second
    assert bucket.take("k", 500) is None and bucket.remaining("k") == 100
    assert bucket.take("k", 200) == pytest.approx(10.0)  # 100 more units take 10 s; nothing is spent
    assert bucket.remaining("k") == 100
    now[0] = 10.0
    assert bucket.take("k", 200) is None and bucket.remaining("k") == 0
    assert bucket.seconds_to_full("k") == pytest.approx(60.0)
    now[0] = 100.0
    assert bucket.remaining("k") == 600  # full again, never more


def test_an_allowance_receipt_says_what_was_spent_and_what_is_left():
    now = [0.0]
    allowance = Allowance(RateLimiter(1200, clock=lambda: now[0]), "token:x")
    receipt = allowance.spend(1000)
    assert (receipt.cost, receipt.limit, receipt.remaining, receipt.refused) == (1000, 1200, 200, False)
    refused = allowance.spend(300)
    assert refused.refused and refused.retry_after == 5 and refused.remaining == 200  # 100 units at 20 a second
    assert allowance.spend(0).cost == 1 and allowance.limiter.remaining("token:x") == 199  # at least 1


def test_the_unit_a_request_paid_coming_in_counts_towards_its_first_operation():
    limiter = RateLimiter(600, clock=lambda: 0.0)
    assert limiter.take("k", 1) is None  # the middleware's unit
    allowance = Allowance(limiter, "k", prepaid=1)
    assert allowance.spend(100).remaining == 500  # 1 + 99
    assert allowance.spend(2).remaining == 498  # a second operation of a batch pays in full


def test_a_long_loop_gives_the_event_loop_a_turn_once_its_slice_is_over():
    turns = Turns()
    assert not turns.due()
    time.sleep(2 * turns_module.SLICE_SECONDS)
    assert turns.due() and turns.due(0) and not turns.due(7)  # with an index, checked every 256 items

    async def loop() -> list[str]:
        order: list[str] = []

        async def other():
            order.append("other")
        task = asyncio.ensure_future(other())
        for _ in range(3):
            order.append("work")
            time.sleep(2 * turns_module.SLICE_SECONDS)  # a slice of work
            if turns.due():
                await turns.give()
        await task
        return order
    order = asyncio.run(loop())
    assert order[:2] == ["work", "other"] and order.count("work") == 3 and turns.given >= 1
