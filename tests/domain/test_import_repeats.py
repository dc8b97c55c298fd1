"""A record given twice in one file: identical repeats change nothing, any difference refuses the later line."""
from domain.imports.rules import repeated_in_file


def test_an_identical_repeat_is_no_problem():
    assert repeated_in_file("lead", "L-1", [], 4) is None


def test_a_repeat_with_other_content_names_the_earlier_line_and_the_differences():
    reason = repeated_in_file("lead", "L-1", ["company", "email"], 4)
    assert reason == ("external_id 'L-1' appears on line 4 of this file with other content (differs in company, "
                      "email): a file gives each lead once")


def test_a_repeat_from_an_earlier_batch_says_an_earlier_line():
    assert "appears on an earlier line of this file" in repeated_in_file("touchpoint", "T-9", ["at"], None)
