"""Tortoise models of leads: the joint definition and its approvals, leads, their events and derived facts."""
from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model

from domain.leads.rules import Stage


class DefinitionStatus(str, Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    SUPERSEDED = "SUPERSEDED"


class ApprovalSide(str, Enum):
    SALES = "SALES"
    MARKETING = "MARKETING"


class LeadDefinition(Model):
    """A version of the agreed ideal customer profile and scoring model. Active once both sides approved it."""

    id = fields.IntField(primary_key=True)
    version = fields.IntField(unique=True)
    name = fields.CharField(max_length=200)
    industries = fields.JSONField(default=list)
    employees_min = fields.IntField(null=True)
    employees_max = fields.IntField(null=True)
    regions = fields.JSONField(default=list)
    titles = fields.JSONField(default=list)
    fit_points = fields.JSONField()
    behaviour_points = fields.JSONField()
    half_life_days = fields.DecimalField(max_digits=9, decimal_places=3)
    fit_threshold = fields.DecimalField(max_digits=12, decimal_places=3)
    engagement_threshold = fields.DecimalField(max_digits=12, decimal_places=3)
    status = fields.CharEnumField(DefinitionStatus, max_length=16, default=DefinitionStatus.DRAFT)
    created_at = fields.DatetimeField()
    created_by = fields.CharField(max_length=200)
    activated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lead_definition"


class LeadDefinitionApproval(Model):
    id = fields.IntField(primary_key=True)
    definition = fields.ForeignKeyField("models.LeadDefinition", related_name="approvals", on_delete=fields.CASCADE)
    definition_id: int
    side = fields.CharEnumField(ApprovalSide, max_length=16)
    person = fields.ForeignKeyField("models.Person", related_name="definition_approvals", on_delete=fields.RESTRICT)
    person_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "lead_definition_approval"
        unique_together = (("definition", "side"),)


class Lead(Model):
    id = fields.BigIntField(primary_key=True)
    external_id = fields.CharField(max_length=128, unique=True)
    company = fields.CharField(max_length=300)
    contact_name = fields.CharField(max_length=300, default="")
    email = fields.CharField(max_length=320, default="")
    industry = fields.CharField(max_length=120, null=True)
    employees = fields.IntField(null=True)
    region = fields.CharField(max_length=120, null=True)
    title = fields.CharField(max_length=200, null=True)
    source = fields.CharField(max_length=120, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "lead"


class LeadEvent(Model):
    """A behaviour, a stage change or an assignment. Events are facts: never edited."""

    id = fields.BigIntField(primary_key=True)
    external_id = fields.CharField(max_length=128, unique=True, null=True)
    lead = fields.ForeignKeyField("models.Lead", related_name="events", on_delete=fields.CASCADE)
    lead_id: int
    at = fields.DatetimeField()
    type = fields.CharField(max_length=32)
    stage = fields.CharEnumField(Stage, max_length=16, null=True)
    owner_person = fields.ForeignKeyField("models.Person", related_name=False, null=True, on_delete=fields.RESTRICT)
    owner_person_id: int | None
    actor_person_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=200, default="")
    reason_code = fields.CharField(max_length=32, null=True)
    reason_text = fields.TextField(default="")

    class Meta:
        table = "lead_event"
        # (stage, at, type, lead_id): the stage changes of a range of times with their leads, from the index alone
        indexes = (("lead_id", "at"), ("stage", "at", "type", "lead_id"))


class LeadFact(Model):
    """Derived per-lead SLA facts, kept current in the transaction that changes a lead's events or touches."""

    id = fields.BigIntField(primary_key=True)
    lead = fields.OneToOneField("models.Lead", related_name="facts", on_delete=fields.CASCADE)
    lead_id: int
    stage = fields.CharEnumField(Stage, max_length=16)
    owner_person_id = fields.IntField(null=True)
    owner_team_id = fields.IntField(null=True, db_index=True)
    first_touch_team_id = fields.IntField(null=True, db_index=True)
    mql_at = fields.DatetimeField(null=True, db_index=True)
    handover_at = fields.DatetimeField(null=True)
    handover_owner_id = fields.IntField(null=True)
    first_follow_up_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    decision = fields.CharEnumField(Stage, max_length=16, null=True)
    decision_at = fields.DatetimeField(null=True)
    sal_at = fields.DatetimeField(null=True)
    sql_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lead_fact"
        # the leads list by stage, and the SAL and SQL counts of a period by the owner's team; the MQLs of a period
        # by first-touch team, with what the lead metrics count as of a day (the common view's and key results' MQL
        # figures and their series: decision_at says when a decision counts)
        indexes = (("stage", "lead_id"), ("sal_at", "owner_team_id"), ("sql_at", "owner_team_id"),
                   ("first_touch_team_id", "mql_at", "decision", "decision_at", "sql_at"))


class SlaAgreement(Model):
    id = fields.IntField(primary_key=True)
    period = fields.ForeignKeyField("models.Period", related_name="sla_agreements", on_delete=fields.RESTRICT)
    period_id: int
    marketing_team = fields.ForeignKeyField("models.Team", related_name=False, on_delete=fields.RESTRICT)
    marketing_team_id: int
    sales_team = fields.ForeignKeyField("models.Team", related_name=False, on_delete=fields.RESTRICT)
    sales_team_id: int
    mql_volume = fields.IntField()
    acceptance_rate_target = fields.DecimalField(max_digits=7, decimal_places=6)
    handover_hours = fields.DecimalField(max_digits=9, decimal_places=3)
    follow_up_hours = fields.DecimalField(max_digits=9, decimal_places=3)
    follow_up_rate_target = fields.DecimalField(max_digits=7, decimal_places=6)
    minimum_attempts = fields.IntField(default=1)
    decision_days = fields.DecimalField(max_digits=9, decimal_places=3)
    business_hours_only = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "sla_agreement"
        unique_together = (("period", "marketing_team", "sales_team"),)


class SlaLead(Model):
    """Derived: one lead's SLA commitments under one agreement (a lead that became MQL in the agreement's period,
    first touched by its marketing team), with their due times worked out (business hours included) so that a
    report counts states in SQL against the clock. Times are whole microseconds since 1970-01-01 UTC; months
    (of the due times, for the awards) are yyyymm. The hand-over is stored whoever received it: whether the
    receiver is on the agreement's sales team is read from `person` when the report runs, so a move between teams
    needs no rewrite. `tz` is the business hours' time zone the dues were worked out in ('' without business
    hours). Kept current in the transaction that changes a lead's facts, and written for every existing MQL when
    an agreement is created."""

    id = fields.BigIntField(primary_key=True)
    agreement = fields.ForeignKeyField("models.SlaAgreement", related_name=False, on_delete=fields.CASCADE)
    agreement_id: int
    lead = fields.ForeignKeyField("models.Lead", related_name=False, on_delete=fields.CASCADE)
    lead_id: int
    mql_us = fields.BigIntField()
    marketing_person_id = fields.IntField(null=True)
    handover_due_us = fields.BigIntField()
    handover_month = fields.IntField()
    handover_us = fields.BigIntField(null=True)
    handover_owner_id = fields.IntField(null=True)
    follow_up_due_us = fields.BigIntField(null=True)
    follow_up_month = fields.IntField(null=True)
    decision_due_us = fields.BigIntField(null=True)
    decision_month = fields.IntField(null=True)
    follow_up_us = fields.BigIntField(null=True)
    decision = fields.CharField(max_length=16, null=True)
    decision_us = fields.BigIntField(null=True)
    attempts_ok = fields.BooleanField()
    tz = fields.CharField(max_length=64)

    class Meta:
        table = "sla_lead"
        unique_together = (("agreement", "lead"),)
        indexes = (("lead_id",),)
