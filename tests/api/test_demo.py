"""The demo tells a true story: the people it says it loaded are the people stored, the ended quarter is closed with
its scores and locked statements, each quarter's objectives are its own, and check-ins are spread over the quarter
with changing confidence (so history and trends have something to show)."""
from __future__ import annotations

from datetime import datetime, timezone

from api.demo import seed_demo
from domain.comp.models import LockedLine
from domain.goals.models import CheckIn, KeyResult, Objective, ObjectiveScore
from domain.org.models import Period, Person


def test_the_demo_tells_a_true_story(api):
    api.set_now(datetime(2026, 11, 20, 9, tzinfo=timezone.utc))
    said = api.run(seed_demo())
    assert said == api.run(Person.all().count())
    periods = {p.key: p for p in api.run(Period.all())}
    assert periods["2026-Q3"].status.value == "CLOSED" and periods["2026-Q4"].status.value == "OPEN"
    q3 = api.run(Objective.filter(period_id=periods["2026-Q3"].id))
    assert q3 and api.run(ObjectiveScore.filter(objective_id__in=[o.id for o in q3]).count()) == len(q3)
    assert api.run(LockedLine.filter(period_id=periods["2026-Q3"].id).count()) > 0
    q4_titles = [o.title for o in api.run(Objective.filter(period_id=periods["2026-Q4"].id))]
    assert len(set(q4_titles)) == len(q4_titles) and not any("2026-Q4:" in t for t in q4_titles)
    manual = [k for k in api.run(KeyResult.filter(objective__period_id=periods["2026-Q4"].id)) if k.kind.value != "MILESTONE"]
    for kr in manual:
        check_ins = api.run(CheckIn.filter(key_result_id=kr.id).order_by("at"))
        if not check_ins:
            continue
        assert len({c.at for c in check_ins}) >= 3, kr.title
        assert len({c.confidence for c in check_ins}) >= 2, kr.title
        assert check_ins[0].at >= periods["2026-Q4"].start and check_ins[-1].at <= datetime(2026, 11, 20, 9,
                                                                                              tzinfo=timezone.utc)
