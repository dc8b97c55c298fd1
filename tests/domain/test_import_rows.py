"""Import rows checked without a database: keys, times, counts, emails, references, and line numbers as a person
counts them in the file."""
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from domain.imports.formats import (
    CSV, NDJSON, format_of_content_type, format_of_filename, read_records,
)
from domain.imports.kinds import LEAD_EVENTS, LEADS, OPPORTUNITIES, TOUCHPOINTS
from domain.imports.rules import PersonRef, Refs, RowRefused, key_problem

LEAD_HEADER = "external_id,company,contact_name,email,industry,employees,region,title,source,created_at"
REFS = Refs(
    people={"sam@example.com": PersonRef(1, "Sam Seller", True), "old@example.com": PersonRef(2, "Old", False)},
    teams={"Field Sales": 10, "field sales": 10, "marketing": 11},
    leads={"L-1": 100},
)


def lead(**values) -> dict:
    row = dict(external_id="L-1", company="Acme", contact_name="Ann", email="ann@acme.example", industry="Software",
               employees="250", region="EMEA", title="CTO", source="web", created_at="2026-11-02T09:00:00+01:00")
    return {**row, **values}


def event(**values) -> dict:
    return {"external_id": "E-1", "lead_external_id": "L-1", "at": "2026-11-02T09:00:00Z", "type": "EMAIL_OPEN",
            **values}


def touch(**values) -> dict:
    return {"external_id": "T-1", "lead_external_id": "L-1", "at": "2026-11-02T12:00:00+00:00", "kind": "SALES",
            "channel": "phone", "team": "Field Sales", **values}


def opportunity(**values) -> dict:
    return {"external_id": "O-1", "lead_external_id": "L-1", "name": "Acme platform", "amount": "12500.00",
            "created_at": "2026-11-02T09:00:00+01:00", "status": "OPEN", **values}


def parse(kind, data: dict, refs=REFS, importer="importer") -> tuple:
    """A record as the readers give it: its values in the order of the kind's keys."""
    return kind.parse(tuple(data.get(k) for k in kind.keys), refs, importer)


def refused(kind, data) -> str:
    with pytest.raises(RowRefused) as caught:
        parse(kind, data)
    return str(caught.value)


# --- leads ---------------------------------------------------------------------------------------

def test_a_lead_row_becomes_typed_values_with_the_time_in_utc():
    values = parse(LEADS, lead(email=" Ann@Acme.Example "))
    assert values == ("L-1", "Acme", "Ann", "ann@acme.example", "Software", 250, "EMEA", "CTO", "web",
                      datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc))


def test_empty_optional_cells_are_stored_as_nothing():
    values = parse(LEADS, lead(contact_name="", email="", industry=" ", employees="", region="", title="", source=""),
                         REFS, "importer")
    assert values[2:9] == ("", "", None, None, None, None, None)


def test_a_time_without_an_offset_is_refused():
    assert "no zone offset" in refused(LEADS, lead(created_at="2026-11-02T09:00:00"))


def test_a_time_that_is_not_iso_8601_is_refused():
    assert "not an ISO 8601" in refused(LEADS, lead(created_at="02/11/2026 09:00"))


@pytest.mark.parametrize("employees", ["-1", "12.5", "many", True])
def test_employees_must_be_a_whole_number_of_zero_or_more(employees):
    assert "employees" in refused(LEADS, lead(employees=employees))


def test_every_problem_of_a_row_is_reported_at_once():
    reasons = refused(LEADS, lead(external_id="", company="", email="not-an-email", created_at="")).split("; ")
    assert reasons == ["external_id is required", "company is required", "email 'not-an-email' is not an email address",
                       "created_at is required"]


def test_text_longer_than_its_column_is_refused():
    assert "more than 300 characters" in refused(LEADS, lead(company="x" * 301))


def test_a_nul_character_is_refused():
    assert "company holds a NUL character" in refused(LEADS, lead(company="a\x00b"))


def test_ndjson_numbers_are_accepted_where_they_make_sense():
    values = parse(LEADS, lead(external_id=42, employees=250))
    assert values[0] == "42" and values[5] == 250


QUICK_CASES = [
    lead(), lead(email=" Ann@Acme.Example "), lead(employees="", industry="", region="", title="", source=""),
    lead(contact_name="", email=""), lead(created_at="2026-11-02T09:00:00Z"), lead(created_at="2026-11-02 09:00:00-05:00"),
    lead(employees="0"), lead(employees="007"), lead(external_id=" L-9 ", company=" Acme "),
    # refused ones, and ones the quick way leaves to the careful way
    lead(employees="-1"), lead(employees="12.5"), lead(employees="²"), lead(employees="9999999999"),
    lead(external_id=""), lead(company="x" * 301), lead(email="nope"), lead(created_at="2026-11-02T09:00:00"),
    lead(created_at=" 2026-11-02T09:00:00Z "), lead(created_at="tomorrow"), lead(external_id=42, employees=250),
    lead(industry=None), lead(title="t" * 201), lead(company="a\x00b"),
]


@pytest.mark.parametrize("data", QUICK_CASES)
def test_the_quick_way_for_plain_lead_rows_agrees_with_the_careful_way(data):
    values = tuple(data.get(k) for k in LEADS.keys)
    quick = LEADS.quick(values)
    try:
        careful = LEADS.check(data, REFS, "importer")
    except RowRefused:
        careful = None
    assert quick is None or quick == careful


def test_plain_valid_lead_rows_take_the_quick_way():
    assert all(LEADS.quick(tuple(d.get(k) for k in LEADS.keys)) is not None for d in QUICK_CASES[:9])


EVENT_QUICK_CASES = [
    event(), event(type="STAGE", stage="MQL"), event(type="STAGE", stage="RECYCLED", reason_code="NO_BUDGET",
                                                     reason_text=" Q1 "),
    event(type="ASSIGNED", owner_email=" Sam@Example.com "), event(actor_email="sam@example.com"),
    event(external_id=" E-2 ", lead_external_id=" L-1 ", at="2026-11-02 09:00:00-05:00", stage="", owner_email="",
          actor_email="", reason_code="", reason_text=""),
    # refused ones, and ones the quick way leaves to the careful way
    event(type="STAGE"), event(type="STAGE", stage="HOT"), event(type="STAGE", stage="RECYCLED"),
    event(type="STAGE", stage="MQL", reason_code="NO_BUDGET"), event(stage="MQL"), event(reason_code="NO_BUDGET"),
    event(type="ASSIGNED"), event(type="ASSIGNED", owner_email="old@example.com"),
    event(type="ASSIGNED", owner_email="nobody@example.com"), event(owner_email="sam@example.com"),
    event(actor_email="old@example.com"), event(actor_email="not an email"), event(lead_external_id="L-404"),
    event(external_id=""), event(external_id="x" * 129), event(at="2026-11-02T09:00:00"), event(at=" tomorrow "),
    event(type="PHONE_CALL"), event(reason_text="a\x00b"), event(external_id=42), event(type=None),
]
TOUCH_QUICK_CASES = [
    touch(), touch(kind="MARKETING", channel="webinar", team="marketing", campaign="Q4 webinar"),
    touch(team="field sales", person_email=" SAM@example.com ", duration_minutes="30"),
    touch(person_email="old@example.com", duration_minutes="007", campaign=""),
    touch(external_id=" T-2 ", lead_external_id=" L-1 ", duration_minutes="", person_email=""),
    # refused ones, and ones the quick way leaves to the careful way
    touch(kind="CALL"), touch(channel=""), touch(channel="c" * 65), touch(team="Nobody"), touch(team=""),
    touch(person_email="nobody@example.com"), touch(person_email="nope"), touch(duration_minutes="1441"),
    touch(duration_minutes="-5"), touch(duration_minutes="1.5"), touch(duration_minutes="²"),
    touch(duration_minutes="9999999999"), touch(lead_external_id="L-404"), touch(at="2026-11-02T12:00:00"),
    touch(campaign="c" * 201), touch(channel="a\x00b"), touch(external_id=7, duration_minutes=30),
]


@pytest.mark.parametrize("kind, data", [(LEAD_EVENTS, d) for d in EVENT_QUICK_CASES]
                         + [(TOUCHPOINTS, d) for d in TOUCH_QUICK_CASES])
def test_the_quick_way_for_plain_event_and_touch_rows_agrees_with_the_careful_way(kind, data):
    values = tuple(data.get(k) for k in kind.keys)
    quick = kind.quick(values, REFS, "importer")
    try:
        careful = kind.check(data, REFS, "importer")
    except RowRefused:
        careful = None
    assert quick is None or quick == careful


def test_plain_valid_event_and_touch_rows_take_the_quick_way():
    for kind, cases, valid in ((LEAD_EVENTS, EVENT_QUICK_CASES, 6), (TOUCHPOINTS, TOUCH_QUICK_CASES, 5)):
        for data in cases[:valid]:
            assert kind.quick(tuple(data.get(k) for k in kind.keys), REFS, "importer") is not None, data


# --- lead events ---------------------------------------------------------------------------------

def test_a_behaviour_event_names_its_lead_and_the_importer_as_actor():
    values = parse(LEAD_EVENTS, event(), importer="Importer")
    assert values == ("E-1", 100, datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc), "EMAIL_OPEN", None, None, None,
                      "Importer", None, "")


def test_an_unknown_event_type_is_refused():
    assert "type 'PHONE_CALL' is not a behaviour, STAGE or ASSIGNED" in refused(LEAD_EVENTS,
                                                                                 event(type="PHONE_CALL"))


def test_a_stage_event_needs_a_stage():
    assert "stage is required" in refused(LEAD_EVENTS, event(type="STAGE"))
    assert "stage 'HOT' is not a stage" in refused(LEAD_EVENTS, event(type="STAGE", stage="HOT"))


def test_a_recycle_needs_a_reason_from_the_fixed_list():
    assert "a recycle needs a reason" in refused(LEAD_EVENTS, event(type="STAGE", stage="RECYCLED"))
    assert "a recycle needs a reason" in refused(LEAD_EVENTS, event(type="STAGE", stage="RECYCLED",
                                                                          reason_code="NOT_ICP"))
    values = parse(LEAD_EVENTS, event(type="STAGE", stage="RECYCLED", reason_code="NO_BUDGET", reason_text="Q1"),
                               REFS, "x")
    assert (values[4], values[8], values[9]) == ("RECYCLED", "NO_BUDGET", "Q1")


def test_a_disqualification_needs_a_reason_and_other_stages_take_none():
    assert "a disqualification needs a reason" in refused(LEAD_EVENTS, event(type="STAGE", stage="DISQUALIFIED"))
    assert "MQL takes no reason code" in refused(LEAD_EVENTS, event(type="STAGE", stage="MQL",
                                                                          reason_code="OTHER"))


def test_an_assignment_needs_an_active_person():
    assert "owner_email is required" in refused(LEAD_EVENTS, event(type="ASSIGNED"))
    assert "names no person" in refused(LEAD_EVENTS, event(type="ASSIGNED", owner_email="who@example.com"))
    assert "no longer active" in refused(LEAD_EVENTS, event(type="ASSIGNED", owner_email="old@example.com"))
    values = parse(LEAD_EVENTS, event(type="ASSIGNED", owner_email="SAM@example.com", actor_email="sam@example.com"),
                               REFS, "x")
    assert (values[5], values[6], values[7]) == (1, 1, "Sam Seller")


def test_stage_and_owner_belong_to_their_event_types():
    reasons = refused(LEAD_EVENTS, event(stage="MQL", owner_email="sam@example.com"))
    assert "stage is only for STAGE events" in reasons and "owner_email is only for ASSIGNED events" in reasons


def test_an_event_of_a_lead_that_does_not_exist_is_refused():
    assert "lead_external_id 'L-404' names no lead" in refused(LEAD_EVENTS, event(lead_external_id="L-404"))


# --- touchpoints ---------------------------------------------------------------------------------

def test_a_touchpoint_names_its_team_and_person():
    values = parse(TOUCHPOINTS, touch(person_email="sam@example.com", duration_minutes="30", campaign=""))
    assert values == ("T-1", 100, datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc), "SALES", "phone", None, 10, 1, 30)


def test_a_team_is_found_by_name_whatever_its_case():
    assert parse(TOUCHPOINTS, touch(team="Marketing", kind="MARKETING"))[6] == 11


def test_touchpoint_references_and_values_are_checked():
    reasons = refused(TOUCHPOINTS, touch(kind="EMAIL", team="Nobody", person_email="who@example.com",
                                               duration_minutes="-5"))
    assert "kind 'EMAIL' is not a touch kind" in reasons
    assert "team 'Nobody' names no team" in reasons
    assert "person_email 'who@example.com' names no person" in reasons
    assert "duration_minutes must be 0 or more" in reasons


# --- opportunities -------------------------------------------------------------------------------

def test_an_open_opportunity_becomes_cents_and_utc_times():
    values = parse(OPPORTUNITIES, opportunity())
    assert values == ("O-1", 100, "Acme platform", 1_250_000, datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc), "OPEN",
                      None, None)


def test_a_won_opportunity_has_its_closing_time_and_owner():
    values = parse(OPPORTUNITIES, opportunity(status="WON", closed_at="2026-11-20T17:00:00-05:00",
                                              owner_email=" Sam@Example.com ", amount="99.9"))
    assert values[3] == 9990 and values[5:] == ("WON", datetime(2026, 11, 20, 22, 0, tzinfo=timezone.utc), 1)


@pytest.mark.parametrize("amount, cents", [
    ("0", 0), ("7", 700), ("0.5", 50), (".25", 25), ("1234.56", 123456), ("12.340", 1234), (" 3.10 ", 310),
    (42, 4200), (19.99, 1999), (0.1, 10), (Decimal("3787.88"), 378788), ("999999999999.99", 99999999999999),
])
def test_an_amount_is_a_decimal_of_at_most_two_places_in_cents(amount, cents):
    assert parse(OPPORTUNITIES, opportunity(amount=amount))[3] == cents


@pytest.mark.parametrize("amount, reason", [
    ("-1", "amount must be 0 or more"), (-0.01, "amount must be 0 or more"),
    ("1.234", "amount '1.234' has more than 2 decimal places"),
    (0.005, "amount '0.005' has more than 2 decimal places"),
    ("1,000.00", "amount '1,000.00' is not a decimal number such as 1234.50"),
    ("1e3", "amount '1e3' is not a decimal number such as 1234.50"),
    ("1_000", "amount '1_000' is not a decimal number such as 1234.50"),
    ("NaN", "amount 'NaN' is not a decimal number such as 1234.50"),
    (float("inf"), "amount 'inf' is not a decimal number such as 1234.50"),
    (True, "amount 'True' is not a decimal number such as 1234.50"),
    ("", "amount is required"),
    ("1000000000000", "amount is too large (at most 999999999999.99)"),
])
def test_a_bad_amount_is_refused(amount, reason):
    assert refused(OPPORTUNITIES, opportunity(amount=amount)) == reason


def test_won_and_lost_need_a_closing_time_not_before_the_creation():
    assert refused(OPPORTUNITIES, opportunity(status="WON")) == "closed_at is required for a WON opportunity"
    assert refused(OPPORTUNITIES, opportunity(status="LOST", closed_at="")) == \
        "closed_at is required for a LOST opportunity"
    assert refused(OPPORTUNITIES, opportunity(status="LOST", closed_at="2026-11-02T07:59:59Z")) == \
        "closed_at is before created_at"
    assert "closed_at '2026-11-20' has no zone offset" in refused(OPPORTUNITIES,
                                                                  opportunity(status="WON", closed_at="2026-11-20"))
    assert parse(OPPORTUNITIES, opportunity(status="LOST", closed_at="2026-11-02T08:00:00Z"))[6] == \
        datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)  # the same moment as created_at


def test_an_open_opportunity_has_no_closing_time():
    assert refused(OPPORTUNITIES, opportunity(closed_at="2026-11-20T17:00:00Z")) == \
        "closed_at is only for WON and LOST opportunities (an OPEN one is not closed)"


def test_opportunity_status_references_and_every_problem_are_reported():
    reasons = refused(OPPORTUNITIES, opportunity(external_id="", lead_external_id="L-404", name="", status="won",
                                                 closed_at="soon", owner_email="who@example.com")).split("; ")
    assert reasons == [
        "external_id is required", "lead_external_id 'L-404' names no lead (import the lead first)", "name is required",
        "status 'won' is not an opportunity status: one of OPEN, WON, LOST",
        "closed_at 'soon' is not an ISO 8601 date and time", "owner_email 'who@example.com' names no person"]


def test_an_opportunity_may_be_owned_by_someone_no_longer_active():
    assert parse(OPPORTUNITIES, opportunity(owner_email="old@example.com"))[7] == 2


def test_opportunity_keys_are_named_in_a_header_problem():
    problem = key_problem({"external_id", "lead_external_id", "name", "amount", "created_at", "stage"},
                          OPPORTUNITIES.required, OPPORTUNITIES.optional)
    assert problem == ("missing key: status; unknown key: stage (expected external_id, lead_external_id, name, "
                       "amount, created_at, status, [closed_at], [owner_email])")


# --- keys and files ------------------------------------------------------------------------------

def test_missing_and_unknown_keys_are_named():
    problem = key_problem({"external_id", "lead_external_id", "at", "colour"}, LEAD_EVENTS.required,
                          LEAD_EVENTS.optional)
    assert problem.startswith("missing key: type; unknown key: colour")


def test_formats_follow_the_extension_or_the_content_type():
    assert format_of_filename("leads.CSV") == CSV
    assert format_of_filename("events.jsonl") == NDJSON == format_of_filename("a/b.ndjson")
    assert format_of_filename("leads.xlsx") is None
    assert format_of_content_type("text/csv; charset=utf-8") == CSV
    assert format_of_content_type("application/x-ndjson") == NDJSON
    assert format_of_content_type("application/json") is None


def test_csv_line_numbers_count_the_header_and_lines_inside_quoted_cells():
    text = (LEAD_HEADER + "\n"
            "L-1,Acme,,,,,,,,2026-11-02T09:00:00Z\n"
            '"L-2","Two\nLines Inc",,,,,,,,2026-11-02T09:00:00Z\n'
            "\n"
            "L-3,Short\n"
            "L-4,Beta,,,,,,,,2026-11-02T09:00:00Z\n")
    records = list(read_records(io.BytesIO(text.encode()), CSV, LEADS.required))
    assert [(r.line, r.values[0] if r.values else r.problem) for r in records] == [
        (2, "L-1"), (3, "L-2"), (6, "has 2 fields, the header has 10"), (7, "L-4")]


def test_a_csv_header_without_a_required_column_refuses_the_file():
    records = list(read_records(io.BytesIO(b"external_id,company\nL-1,Acme\n"), CSV, LEADS.required))
    assert len(records) == 1 and records[0].line == 1 and records[0].fatal
    assert "missing keys: contact_name" in records[0].problem


def test_a_byte_order_mark_does_not_spoil_the_first_column():
    data = ("\ufeff" + LEAD_HEADER + "\nL-1,Acme,,,,,,,,2026-11-02T09:00:00Z\n").encode()
    assert [r.values[0] for r in read_records(io.BytesIO(data), CSV, LEADS.required)] == ["L-1"]


def test_ndjson_counts_every_line_and_reports_bad_json_by_line():
    text = ('{"external_id": "E-1", "lead_external_id": "L-1", "at": "2026-11-02T09:00:00Z", "type": "WEBINAR"}\n'
            "\n"
            "{not json}\n"
            "[1, 2]\n"
            '{"external_id": "E-2", "lead_external_id": "L-1", "at": "2026-11-02T09:00:00Z"}\n')
    records = list(read_records(io.BytesIO(text.encode()), NDJSON, LEAD_EVENTS.required, LEAD_EVENTS.optional))
    assert [(r.line, r.values is not None) for r in records] == [(1, True), (3, False), (4, False), (5, False)]
    assert records[0].values == ("E-1", "L-1", "2026-11-02T09:00:00Z", "WEBINAR", None, None, None, None, None)
    assert records[1].problem.startswith("not valid JSON")
    assert records[2].problem == "not a JSON object"
    assert records[3].problem.startswith("missing key: type")
