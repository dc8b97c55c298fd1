"""Tortoise models of compensation: plans and components, locked statement lines, adjustments and disputes."""
from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


def _decimal(**kwargs):
    return fields.DecimalField(max_digits=24, decimal_places=6, **kwargs)


class CompPlan(Model):
    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="comp_plans", on_delete=fields.RESTRICT)
    person_id: int
    period = fields.ForeignKeyField("models.Period", related_name="comp_plans", on_delete=fields.RESTRICT)
    period_id: int
    target_variable_cents = fields.BigIntField()
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField()
    # a draw: the period's payment is topped up to this minimum (null: no draw); a recoverable one is repaid from
    # later earnings above their plan's minimum, at most this plan's recovery share of them
    draw_minimum_cents = fields.BigIntField(null=True)
    draw_recoverable = fields.BooleanField(default=True)
    draw_recovery_share = _decimal(default=1)
    # a deal that paid out under this plan and turns LOST, or drops in amount, within this many days of its close is
    # clawed back in the statement of the period open then (null: no clawback)
    clawback_days = fields.IntField(null=True)

    class Meta:
        table = "comp_plan"
        unique_together = (("person", "period"),)


class CompComponent(Model):
    id = fields.IntField(primary_key=True)
    plan = fields.ForeignKeyField("models.CompPlan", related_name="components", on_delete=fields.CASCADE)
    plan_id: int
    position = fields.IntField()
    name = fields.CharField(max_length=200)
    metric = fields.CharField(max_length=32)
    key_result_id = fields.IntField(null=True)
    quota = _decimal()
    weight = _decimal()
    threshold = _decimal(default=0)
    accelerator = _decimal(default=1)
    cap = _decimal(null=True)
    tiers = fields.JSONField(null=True)
    gate_key_result_id = fields.IntField(null=True)
    gate_min_progress = _decimal(null=True)

    class Meta:
        table = "comp_component"


class LockedLine(Model):
    """A statement line frozen when its period closed."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    period = fields.ForeignKeyField("models.Period", related_name=False, on_delete=fields.RESTRICT)
    period_id: int
    position = fields.IntField()
    component = fields.CharField(max_length=200)
    metric = fields.CharField(max_length=32)
    metric_value = _decimal()
    quota = _decimal()
    attainment = _decimal()
    curve_value = _decimal()
    gate_open = fields.BooleanField()
    payout_cents = fields.BigIntField()
    target_variable_cents = fields.BigIntField()
    locked_at = fields.DatetimeField()

    class Meta:
        table = "comp_locked_line"


class CompAdjustment(Model):
    """A change to a locked statement, with its reason and author."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    period = fields.ForeignKeyField("models.Period", related_name=False, on_delete=fields.RESTRICT)
    period_id: int
    component = fields.CharField(max_length=200, null=True)
    amount_cents = fields.BigIntField()
    reason = fields.TextField()
    author_name = fields.CharField(max_length=200)
    at = fields.DatetimeField()

    class Meta:
        table = "comp_adjustment"


class DisputeStatus(str, Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class CompDispute(Model):
    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    period = fields.ForeignKeyField("models.Period", related_name=False, on_delete=fields.RESTRICT)
    period_id: int
    component = fields.CharField(max_length=200)
    reason = fields.TextField()
    status = fields.CharEnumField(DisputeStatus, max_length=16, default=DisputeStatus.OPEN)
    resolution = fields.TextField(null=True)
    resolved_by = fields.CharField(max_length=200, null=True)
    adjustment = fields.ForeignKeyField("models.CompAdjustment", related_name=False, null=True,
                                        on_delete=fields.SET_NULL)
    adjustment_id: int | None
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "comp_dispute"


class OpportunitySplit(Model):
    """A share of a deal's credit for pay (an account executive 70%, a solutions engineer 30%): a deal's splits sum
    to exactly 100.00; a deal without splits is credited in full to its owner. Team credit (attribution) ignores
    them."""

    id = fields.IntField(primary_key=True)
    opportunity = fields.ForeignKeyField("models.Opportunity", related_name="splits", on_delete=fields.CASCADE)
    opportunity_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    percent = fields.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        table = "opportunity_split"
        unique_together = (("opportunity", "person"),)


class LockedDraw(Model):
    """A statement's draw frozen when its period closed: the top-up (positive) or the recovery of an earlier
    recoverable draw (negative), and the person's draw balance after it. Later balances are derived from these."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    period = fields.ForeignKeyField("models.Period", related_name=False, on_delete=fields.RESTRICT)
    period_id: int
    amount_cents = fields.BigIntField()
    recoverable = fields.BooleanField()
    balance_after_cents = fields.BigIntField()
    locked_at = fields.DatetimeField()

    class Meta:
        table = "comp_locked_draw"
        unique_together = (("person", "period"),)


class LockedDeal(Model):
    """A deal behind a bookings line of a statement locked at its period's close: the person's credit of it then
    and its close, what a clawback compares the deal with later."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    period = fields.ForeignKeyField("models.Period", related_name=False, on_delete=fields.RESTRICT)
    period_id: int
    position = fields.IntField()
    opportunity = fields.ForeignKeyField("models.Opportunity", related_name=False, on_delete=fields.CASCADE)
    opportunity_id: int
    cents = fields.BigIntField()
    closed_at = fields.DatetimeField()

    class Meta:
        table = "comp_locked_deal"
        indexes = (("opportunity_id",),)


class Clawback(Model):
    """What comes back of a locked payout when a deal behind it turned LOST or dropped in amount within its plan's
    window: the difference of the component's payout recomputed with only that deal changed, charged to the
    person's statement of the period open when the change was seen. Waived by FINANCE with a reason."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    period = fields.ForeignKeyField("models.Period", related_name=False, on_delete=fields.RESTRICT)
    period_id: int
    source_period = fields.ForeignKeyField("models.Period", related_name=False, on_delete=fields.RESTRICT)
    source_period_id: int
    position = fields.IntField()
    component = fields.CharField(max_length=200)
    opportunity = fields.ForeignKeyField("models.Opportunity", related_name=False, on_delete=fields.CASCADE)
    opportunity_id: int
    amount_cents = fields.BigIntField()
    detected_at = fields.DatetimeField()
    waived_reason = fields.TextField(null=True)
    waived_by = fields.CharField(max_length=200, null=True)
    waived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "comp_clawback"
        unique_together = (("person", "source_period", "position", "opportunity"),)
