"""Tortoise models of touchpoints (and, with the attribution issue, opportunities and credit)."""
from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class TouchKind(str, Enum):
    MARKETING = "MARKETING"
    SALES = "SALES"


class Touchpoint(Model):
    """A marketing or sales touch on a lead. A fact: re-importing it with other content is refused."""

    id = fields.BigIntField(primary_key=True)
    external_id = fields.CharField(max_length=128, unique=True)
    lead = fields.ForeignKeyField("models.Lead", related_name="touchpoints", on_delete=fields.CASCADE)
    lead_id: int
    at = fields.DatetimeField()
    kind = fields.CharEnumField(TouchKind, max_length=16)
    channel = fields.CharField(max_length=64)
    campaign = fields.CharField(max_length=200, null=True)
    team = fields.ForeignKeyField("models.Team", related_name="touchpoints", on_delete=fields.RESTRICT)
    team_id: int
    person = fields.ForeignKeyField("models.Person", related_name="touchpoints", null=True, on_delete=fields.RESTRICT)
    person_id: int | None
    duration_minutes = fields.IntField(null=True)

    class Meta:
        table = "touchpoint"
        # (lead_id, at, id, ...): a lead's touches in journey order, with what wasted selling time sums (read from the
        # index alone); (at, kind): a range of times, never a kind alone
        indexes = (("lead_id", "at", "id", "kind", "person_id", "duration_minutes"), ("at", "kind"))


class OpportunityStatus(str, Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class Opportunity(Model):
    """A deal from the CRM. Pipeline counts in the period it was created, bookings in the period it was won."""

    id = fields.BigIntField(primary_key=True)
    external_id = fields.CharField(max_length=128, unique=True)
    lead = fields.ForeignKeyField("models.Lead", related_name="opportunities", null=True, on_delete=fields.SET_NULL)
    lead_id: int | None
    name = fields.CharField(max_length=300)
    amount_cents = fields.BigIntField()
    created_at = fields.DatetimeField(db_index=True)
    status = fields.CharEnumField(OpportunityStatus, max_length=8)
    closed_at = fields.DatetimeField(null=True, db_index=True)
    owner = fields.ForeignKeyField("models.Person", related_name="opportunities", null=True, on_delete=fields.RESTRICT)
    owner_id: int | None

    class Meta:
        table = "opportunity"
        indexes = (("closed_at", "status", "owner_id", "amount_cents"),)  # bookings of a period, from the index


class ProposalStatus(str, Enum):
    PROPOSED = "PROPOSED"
    ACTIVE = "ACTIVE"
    SUPERSEDED = "SUPERSEDED"


class ModelOfRecord(Model):
    """A period's attribution model of record, proposed and then approved by a sales and a marketing leader."""

    id = fields.IntField(primary_key=True)
    period = fields.ForeignKeyField("models.Period", related_name="model_proposals", on_delete=fields.RESTRICT)
    period_id: int
    model = fields.CharField(max_length=16)
    half_life_days = fields.DecimalField(max_digits=9, decimal_places=3)
    custom_weights = fields.JSONField(null=True)
    markov_order = fields.SmallIntField(default=1)   # the chain order of a MARKOV model (1-3)
    status = fields.CharEnumField(ProposalStatus, max_length=16, default=ProposalStatus.PROPOSED)
    proposed_by = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    activated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "model_of_record"


class ModelOfRecordApproval(Model):
    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField("models.ModelOfRecord", related_name="approvals", on_delete=fields.CASCADE)
    proposal_id: int
    side = fields.CharField(max_length=16)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.RESTRICT)
    person_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "model_of_record_approval"
        unique_together = (("proposal", "side"),)


class DealCredit(Model):
    """Derived: one touch's credit of one deal under one model (position -1 and no touch: the whole amount on
    UNATTRIBUTED), with the deal's dates and amount copied so a report filters and sums these rows alone. Kept
    current in the transaction that changes a deal, its lead's touches or events, or the models of record."""

    id = fields.BigIntField(primary_key=True)
    opportunity = fields.ForeignKeyField("models.Opportunity", related_name=False, on_delete=fields.CASCADE)
    opportunity_id: int
    model_key = fields.CharField(max_length=120)
    position = fields.IntField()
    touchpoint_id = fields.BigIntField(null=True)
    at = fields.DatetimeField(null=True)
    team_id = fields.IntField(null=True)
    person_id = fields.IntField(null=True)
    channel = fields.CharField(max_length=64, null=True)
    campaign = fields.CharField(max_length=200, null=True)
    weight = fields.CharField(max_length=40)
    amount_cents = fields.BigIntField()
    deal_amount_cents = fields.BigIntField()
    created_at = fields.DatetimeField()
    won_at = fields.DatetimeField(null=True)
    horizon = fields.DatetimeField()
    influencing = fields.BooleanField()

    class Meta:
        table = "deal_credit"
        # a period's rows by creation (pipeline) or win (bookings), each with everything a team figure of either
        # side reads (the sums read the index alone: no row is fetched); and a deal's rows
        indexes = (("model_key", "created_at", "horizon", "position", "team_id", "amount_cents", "won_at",
                    "influencing", "deal_amount_cents"),
                   ("model_key", "won_at", "horizon", "position", "team_id", "amount_cents", "created_at",
                    "influencing", "deal_amount_cents"),
                   ("opportunity_id", "model_key"))


class DrivenPeriod(Model):
    """Derived: a closed period's stored data-driven model (MARKOV of one order, or SHAPLEY), whose per-channel
    effects are DrivenEffect rows and whose deals' credit rows are DealCredit rows under `model_key` (see
    driven_store.py). `stale` is set in the transaction that changes the period's training inputs; the closed
    deals' count, amounts and ids as trained are checked on every read (a deal moved out of the period)."""

    id = fields.IntField(primary_key=True)
    model_key = fields.CharField(max_length=120, unique=True)
    period_key = fields.CharField(max_length=16, db_index=True)
    model = fields.CharField(max_length=16)
    markov_order = fields.SmallIntField()
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    stale = fields.BooleanField(default=False)
    closed_deals = fields.IntField()
    closed_cents = fields.BigIntField()
    closed_ids = fields.BigIntField()
    won_ids = fields.BigIntField()
    journeys = fields.IntField()
    touch_max_id = fields.BigIntField()   # the newest touch and event when trained: what is added after is new
    event_max_id = fields.BigIntField()
    computed_at = fields.DatetimeField()

    class Meta:
        table = "driven_period"


class DrivenEffect(Model):
    """Derived: one channel's figures in a stored data-driven model (DrivenPeriod): the effect its touches are
    weighed by (a decimal of 15 places, driven.as_effect), MARKOV's removal effect and shares (SHAPLEY: its value)."""

    id = fields.BigIntField(primary_key=True)
    model_key = fields.CharField(max_length=120, db_index=True)
    channel = fields.CharField(max_length=64)
    effect = fields.CharField(max_length=40)
    removal_effect = fields.FloatField()
    share = fields.FloatField()
    value_share = fields.FloatField()
    journeys = fields.IntField()

    class Meta:
        table = "driven_effect"
class CreditRollup(Model):
    """Derived: the stored credit rows (DealCredit) of one model summed per UTC day, figure and group
    (rollups.py), kept current in the transactions that write those rows. `figure` P counts a row on the day its
    deal was created (pipeline), B on the day it was won (bookings); `kind` is the grouping (TEAM, PERSON, CHANNEL,
    CAMPAIGN; SOURCED and INFLUENCED: the default model's sourced and influenced pipeline by team); `deals` counts
    the deals whose first row is in the bucket; `horizon` is the latest horizon of the rows ever summed into it."""

    id = fields.BigIntField(primary_key=True)
    model_key = fields.CharField(max_length=120)
    kind = fields.CharField(max_length=12)
    figure = fields.CharField(max_length=1)
    day = fields.CharField(max_length=10)  # the UTC day, YYYY-MM-DD
    group_key = fields.CharField(max_length=200)
    cents = fields.BigIntField()
    deals = fields.IntField()
    horizon = fields.DatetimeField()

    class Meta:
        table = "credit_rollup"
        unique_together = (("model_key", "kind", "day", "figure", "group_key"),)


class CreditRollupPending(Model):
    """Derived: a deal whose stored credit rows are not summed into the rollups (CreditRollup) yet. A large import
    leaves its deals' sums to a step after its commit (rollups.fold_pending); until then readers take the days of
    these deals from the rows (rollup_reads.py). The rollups hold the sums of every other deal's rows."""

    opportunity_id = fields.BigIntField(primary_key=True, generated=False)

    class Meta:
        table = "credit_rollup_pending"
