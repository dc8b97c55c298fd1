"""Draw rules (domain/comp/rules.py): the top-up, the repayment and the balance, with the docs' worked example."""
from decimal import Decimal as D

from domain.comp import rules
from domain.comp.rules import Draw, DrawOutcome


def test_below_the_minimum_the_draw_tops_up_and_a_recoverable_one_is_owed():
    assert rules.draw_outcome(D("2000"), Draw(D("5000")), D(0)) == DrawOutcome(D("3000"), D("3000"))
    assert rules.draw_outcome(D("2000"), Draw(D("5000"), recoverable=False), D(0)) == DrawOutcome(D("3000"), D(0))
    # a second top-up adds to what is owed
    assert rules.draw_outcome(D("0"), Draw(D("5000")), D("3000")) == DrawOutcome(D("5000"), D("8000"))


def test_earnings_above_the_minimum_repay_up_to_the_recovery_share():
    assert rules.draw_outcome(D("9000"), Draw(D("5000"), recovery_share=D("0.5")), D("3000")) == \
        DrawOutcome(D("-2000"), D("1000"))
    # never more than is owed
    assert rules.draw_outcome(D("9000"), Draw(D("5000")), D("1000")) == DrawOutcome(D("-1000"), D(0))
    # no draw on the plan: the minimum is 0
    assert rules.draw_outcome(D("1500"), Draw(), D("1000")) == DrawOutcome(D("-1000"), D(0))
    # rounded down to the cent: a third of 100.00 repays 33.33
    assert rules.draw_outcome(D("100"), Draw(recovery_share=D(1) / 3), D("50")) == DrawOutcome(D("-33.33"), D("16.67"))


def test_nothing_owed_nothing_repaid():
    assert rules.draw_outcome(D("9000"), Draw(D("5000")), D(0)) == DrawOutcome(D(0), D(0))
    assert rules.draw_outcome(D("5000"), Draw(D("5000")), D("10")) == DrawOutcome(D(0), D("10"))


def test_the_balance_is_recoverable_top_ups_less_repayments():
    assert rules.draw_balance([(D("3000"), True), (D("-2000"), True)]) == D("1000")
    assert rules.draw_balance([(D("3000"), False), (D("2000"), True)]) == D("2000")
    assert rules.draw_balance([]) == D(0)


def test_draw_checks():
    assert rules.draw_problems(Draw()) == []
    assert rules.draw_problems(Draw(D("0"))) == [(("draw", "minimum"), "a draw's minimum is above 0, in cents")]
    assert rules.draw_problems(Draw(D("10.001")))[0][0] == ("draw", "minimum")
    assert rules.draw_problems(Draw(D("10"), recovery_share=D("1.01"))) == [
        (("draw", "recoveryShare"), "the recovery share is from 0 to 1")]
