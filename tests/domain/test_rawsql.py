"""rawsql.placeholders: one tokenising pass, so only a whole `:name` outside literals and comments is a parameter.
rawsql.sqlite_time_text: the text Tortoise's adapter would bind for a time, whatever text it is given."""
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

import tortoise.backends.sqlite.executor  # noqa: F401  (registers the adapter the service's SQLite writes go through)
from domain.rawsql import placeholders, sqlite_time_text


@pytest.mark.parametrize("dialect, mark", [("sqlite", "?"), ("postgres", "$")])
def test_each_name_gets_its_number_wherever_it_appears(dialect, mark):
    text = "SELECT * FROM t WHERE a >= :start AND a < :end AND b <> :start"
    assert placeholders(dialect, text, ["start", "end"]) == \
        f"SELECT * FROM t WHERE a >= {mark}1 AND a < {mark}2 AND b <> {mark}1"


def test_a_name_inside_a_longer_name_is_not_replaced():
    text = "WHERE start_at >= :start_at AND at >= :start"
    assert placeholders("sqlite", text, ["start", "start_at"]) == "WHERE start_at >= ?2 AND at >= ?1"
    assert placeholders("sqlite", "WHERE x = :start_at", ["start"]) == "WHERE x = :start_at"


def test_a_postgresql_cast_is_not_a_parameter():
    text = "SELECT id::text, :text FROM t WHERE kind::text = :kind"
    assert placeholders("postgres", text, ["text", "kind"]) == "SELECT id::text, $1 FROM t WHERE kind::text = $2"


def test_string_literals_and_quoted_names_are_left_alone():
    text = "SELECT ':start', 'it''s :start', \":start\" FROM t WHERE at = :start AND note = '10:30'"
    assert placeholders("sqlite", text, ["start"]) == \
        "SELECT ':start', 'it''s :start', \":start\" FROM t WHERE at = ?1 AND note = '10:30'"


def test_comments_are_left_alone():
    text = "SELECT a -- compare with :start\nFROM t /* :start here\n too */ WHERE a = :start"
    assert placeholders("sqlite", text, ["start"]) == \
        "SELECT a -- compare with :start\nFROM t /* :start here\n too */ WHERE a = ?1"


def test_a_name_not_given_is_left_as_written():
    assert placeholders("sqlite", "WHERE a = :a AND b = :b", ["a"]) == "WHERE a = ?1 AND b = :b"


UTC = timezone.utc
MOMENT = datetime(2026, 5, 27, 13, 45, 48, tzinfo=UTC)


def _adapted(moment: datetime) -> str:
    return sqlite3.adapters[(datetime, sqlite3.PrepareProtocol)](moment)


@pytest.mark.parametrize("text", [
    "2026-05-27T13:45:48+00:00", "2026-05-27T13:45:48Z", "2026-05-27 13:45:48+00:00", "2026-05-27T15:45:48+02:00",
    "2026-05-27T13:45:48.000+00:00", " 2026-05-27T13:45:48+00:00", "2026-05-27T13:45:48+00:00 ",
    "2026-W22-3T13:45:48+00:00", "20260527T134548+00:00", "2026-05-27T134548.0+00:00", "2026-05-27T13:45:49+00:00",
    "2026-05-27T13:45:48-00:00", "2026-05-27T13:45:48+00:01", "2026-05-27X13:45:48+00:00", "", None, 20260527,
    b"2026-05-27T13:45:48+00:00"])
def test_the_stored_text_of_a_time_is_the_adapters_whatever_text_it_came_from(text):
    assert sqlite_time_text(MOMENT, text) == _adapted(MOMENT) == "2026-05-27 13:45:48+00:00"


def test_a_time_not_in_utc_or_with_microseconds_is_formatted_as_the_adapter_does():
    other = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert sqlite_time_text(other, "2026-05-27T13:45:48+00:00") == _adapted(other) == "2026-05-27 15:45:48+02:00"
    fine = MOMENT + timedelta(microseconds=250)
    assert sqlite_time_text(fine, "2026-05-27T13:45:48+00:00") == _adapted(fine)


@given(moment=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)),
       seconds=st.integers(-2, 2))
def test_the_stored_text_of_random_times_is_the_adapters(moment, seconds):
    moment = moment.replace(microsecond=0)
    written = (moment + timedelta(seconds=seconds)).isoformat()  # the same time's text, or another's
    assert sqlite_time_text(moment, written) == _adapted(moment)
