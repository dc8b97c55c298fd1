"""The pure rules of CRM imports: Salesforce ids, value tables, owner matching, vendor dates and durations, and the
translation of vendor rows into native records (no database)."""
from __future__ import annotations

import tomllib
from datetime import datetime, timezone

import pytest

from domain.imports.crm import rules
from domain.imports.crm.rules import OwnerMatch, Person, VendorValueError
from domain.imports.crm.service import SHIPPED
from domain.imports.crm.translate import Lookups, missing_columns, translate

UTC = timezone.utc


# --- Salesforce ids ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("short, full", [
    ("001A0000006Vm9r", "001A0000006Vm9rIAC"),   # A (4th of the first five) -> 8 -> I; none -> A; V (2nd) -> 2 -> C
    ("00QHp00000Lead1", "00QHp00000Lead1MAB"),   # Q, H -> 4 + 8 = 12 -> M; none -> A; L -> 1 -> B
    ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"),
    ("AAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAA555"),   # all five capitals: 31 -> 5
])
def test_a_15_character_id_gets_its_checksum_suffix(short, full):
    assert rules.sf_id18(short) == full
    assert rules.sf_id18(full) == full
    assert rules.sf_id18(full[:15] + full[15:].lower()) == full  # the suffix is case-insensitive


@pytest.mark.parametrize("bad", ["001A0000006Vm9", "001A0000006Vm9rIAD", "001A0000006Vm9-", "", "001A0000006Vm9rIA"])
def test_what_is_not_a_salesforce_id_is_refused(bad):
    with pytest.raises(VendorValueError):
        rules.sf_id18(bad)


def test_a_queue_owner_is_no_owner():
    assert rules.is_sf_queue("00GHp00000Queue") and not rules.is_sf_queue("005Hp00000Sofia")


# --- value tables -----------------------------------------------------------------------------------------------

def test_a_value_table_matches_exactly_then_ignoring_case_and_spaces():
    table = {"Open - Not Contacted": "MQL", "closed - not converted": "DISQUALIFIED:NOT_ICP"}
    assert rules.look_up(table, "Open - Not Contacted") == "MQL"
    assert rules.look_up(table, " open - not contacted ") == "MQL"
    assert rules.split_mapped(rules.look_up(table, "Closed - Not Converted")) == ("DISQUALIFIED", "NOT_ICP")
    assert rules.look_up(table, "Nurturing") is None


def test_unmapped_values_are_listed_per_section_with_their_counts():
    assert rules.unmapped_message({("status", "Nurturing"): 3, ("status", "Cold"): 1, ("owners", "005x"): 2}) == [
        "values not in the mapping's [owners]: '005x' (2 rows); add them there",
        "values not in the mapping's [status]: 'Cold' (1 row), 'Nurturing' (3 rows); add them there"]


# --- owners -----------------------------------------------------------------------------------------------------

PEOPLE = [Person("sofia@example.com", "Sofia Seller"), Person("sam@example.com", "Sam Lead"),
          Person("sam.two@example.com", "Sam Lead")]


def test_owners_match_by_the_table_then_email_then_exact_name():
    match = OwnerMatch({"005Hp00000SofiaIAB": "Sofia@Example.com", "005Hp00000GoneXIAB": "gone@example.com"}, PEOPLE)
    assert match.email("005Hp00000SofiaIAB") == ("sofia@example.com", None)
    assert match.email("SOFIA@example.com") == ("sofia@example.com", None)
    assert match.email("Sofia Seller") == ("sofia@example.com", None)
    assert match.email("sofia seller") == (None, "unmatched")        # a name matches exactly or not at all
    assert match.email("Sam Lead") == (None, "ambiguous")             # two people: never a guess
    assert match.email("005Hp00000GoneXIAB") == (None, "unmatched")   # the table names nobody here


# --- dates and durations ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, zone, expected", [
    ("2026-10-05T09:00:00.000Z", "Europe/Berlin", datetime(2026, 10, 5, 9, tzinfo=UTC)),       # Data Loader
    ("2026-10-05T09:00:00+02:00", "UTC", datetime(2026, 10, 5, 7, tzinfo=UTC)),
    ("2026-10-05 09:00", "Europe/Berlin", datetime(2026, 10, 5, 7, tzinfo=UTC)),               # HubSpot, CEST
    ("2026-11-05 09:00", "Europe/Berlin", datetime(2026, 11, 5, 8, tzinfo=UTC)),               # CET
    ("2026-10-20", "America/New_York", datetime(2026, 10, 20, 4, tzinfo=UTC)),                 # a date: midnight
    ("10/5/2026 9:00 AM", "UTC", datetime(2026, 10, 5, 9, tzinfo=UTC)),                        # a report export
    ("1791190800000", "Europe/Berlin", datetime(2026, 10, 5, 9, tzinfo=UTC)),                  # Unix ms
])
def test_vendor_dates_read_in_the_declared_zone(value, zone, expected):
    assert rules.parse_vendor_time(value, zone, ["%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M"]) == expected


def test_a_date_in_no_declared_form_is_refused():
    with pytest.raises(VendorValueError, match="not a date in a form the mapping declares"):
        rules.parse_vendor_time("5. Oktober 2026", "UTC", ["%Y-%m-%d %H:%M"])


@pytest.mark.parametrize("value, unit, minutes", [
    ("300000", "milliseconds", 5), ("90000000", "milliseconds", 1500), ("600", "seconds", 10), ("30", "seconds", 1),
    ("01:30:00", "hms", 90), ("60", "minutes", 60), ("", "seconds", None)])
def test_durations_in_whole_minutes_rounded_up(value, unit, minutes):
    assert rules.parse_duration_minutes(value, unit) == minutes


def test_a_deal_closes_on_its_day_but_never_before_it_was_created():
    day = datetime(2026, 11, 10, tzinfo=UTC)
    assert rules.closed_at_of(day, datetime(2026, 10, 20, 8, tzinfo=UTC)) == day
    assert rules.closed_at_of(day, datetime(2026, 11, 10, 8, tzinfo=UTC)) == datetime(2026, 11, 10, 8, tzinfo=UTC)


# --- translation --------------------------------------------------------------------------------------------------

def _mapping(name: str) -> dict:
    return tomllib.loads((SHIPPED / f"{name}.toml").read_text())


LOOKUPS = Lookups(people=[Person("sofia@example.com", "Sofia Seller")],
                  team_of_email={"sofia@example.com": "Field Sales"},
                  teams_by_function={"SALES": ["Field Sales"], "MARKETING": ["Demand Generation"]}, links={})


def test_a_missing_required_column_names_the_mapping_key_that_names_it():
    assert missing_columns(_mapping("salesforce"), "Lead", ["Id", "CreatedDate"]) == [
        "column 'Company' is missing (required; the mapping's [objects.Lead.columns] company names it)"]


def test_activities_longer_than_a_day_are_skipped_and_counted():
    rows = [(2, {"Record ID": "1", "Activity date": "2026-10-06 14:00", "Activity assigned to": "Sofia Seller",
                 "Associated Contact IDs": "101", "Call duration": "90000000"}),
            (3, {"Record ID": "2", "Activity date": "2026-10-06 15:00", "Activity assigned to": "Sofia Seller",
                 "Associated Contact IDs": "101;102", "Call duration": "60000"})]
    out = translate(_mapping("hubspot"), "calls", rows, LOOKUPS)
    assert out.skipped == {"activities longer than a day": 1}
    [touch] = out.records["touchpoints"]
    assert touch.line == 3
    assert touch.values == ("hs:call:2", "hs:contact:101", "2026-10-06T15:00:00+00:00", "SALES", "call",
                            "Field Sales", None, "sofia@example.com", "1")


def test_an_unmapped_status_and_an_unknown_owner_are_collected_not_refused_row_by_row():
    rows = [(n, {"Id": f"00QHp00000Lead{n}", "Company": "X", "Status": status, "OwnerId": owner,
                 "CreatedDate": "2026-10-05T09:00:00.000Z"})
            for n, (status, owner) in enumerate([("Nurturing", "005Hp00000Sofia"), ("Nurturing", "00GHp00000Queue"),
                                                 ("Working - Contacted", "")], start=2)]
    out = translate(_mapping("salesforce"), "Lead", rows, LOOKUPS)
    assert out.all_errors == ["values not in the mapping's [owners]: '005Hp00000SofiaIAB' (1 row); add them there",
                              "values not in the mapping's [status]: 'Nurturing' (2 rows); add them there"]


def test_the_shipped_mappings_have_a_sound_shape_and_a_bad_one_is_described():
    assert rules.mapping_problems(_mapping("salesforce")) == [] and rules.mapping_problems(_mapping("hubspot")) == []
    bad = {"timezone": 1, "date_formats": "%Y", "owners": {"005x": 3},
           "objects": {"Lead": {"translator": "salesforce.Lead", "columns": {"id": ["Id"]}}, "Task": "x"}}
    assert rules.mapping_problems(bad) == [
        "timezone must be text", "date_formats must be a list of strptime forms", "[objects.Task] must be a table",
        "[owners] must map text to text", "[objects.Lead.columns] must map text to text"]


def test_a_date_the_zone_moves_out_of_range_is_refused_not_raised():
    with pytest.raises(VendorValueError, match="out of the range"):
        rules.parse_vendor_time("0001-01-01 00:30", "Europe/Berlin", ["%Y-%m-%d %H:%M"])
