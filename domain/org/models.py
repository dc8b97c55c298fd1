"""Tortoise models of the organisation: teams, people, API tokens, periods."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.org.rules import PeriodStatus, Role, TeamFunction


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    function = fields.CharEnumField(TeamFunction, max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team"


class Person(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=320, unique=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="members", on_delete=fields.RESTRICT)
    team_id: int
    role = fields.CharEnumField(Role, max_length=16)
    annual_cost_cents = fields.BigIntField(null=True)
    annual_quota_cents = fields.BigIntField(null=True)
    selling_hours_per_week = fields.DecimalField(max_digits=7, decimal_places=2)
    working_weeks_per_year = fields.DecimalField(max_digits=5, decimal_places=2)
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class ApiToken(Model):
    """A bearer token. Only the SHA-256 of the secret is stored."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    token_hash = fields.CharField(max_length=64, unique=True)
    role = fields.CharEnumField(Role, max_length=16)
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="tokens", null=True, on_delete=fields.RESTRICT)
    person_id: int | None
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    # read-only (CSV exports and GraphQL reads), may travel in a URL. Nullable so that SQLite can add the column
    # to an existing table (None means a full token).
    export_only = fields.BooleanField(default=False, null=True)
    created_by_token_id = fields.IntField(null=True)  # the token that made an export token (it may revoke it)
    # when a request last authenticated with it, to within LAST_USED_EVERY (never a write per request)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class Period(Model):
    """A fiscal quarter in use, stored on first use (reading one never stores it)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=7, unique=True)
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    status = fields.CharEnumField(PeriodStatus, max_length=8, default=PeriodStatus.OPEN)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "period"
