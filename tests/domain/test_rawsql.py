"""rawsql.placeholders: one tokenising pass, so only a whole `:name` outside literals and comments is a parameter."""
import pytest

from domain.rawsql import placeholders


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
