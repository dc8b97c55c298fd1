"""Tortoise models of the shared goals: objectives, owners, links, key results, check-ins, close snapshots."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.goals.rules import KeyResultKind, KeyResultSource, LinkKind, Status, Unit


def _value(**kwargs):
    # KR values, shares and weights: exact decimals (never summed in SQL, so text storage on SQLite is fine)
    return fields.DecimalField(max_digits=24, decimal_places=6, **kwargs)


class Objective(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=300)
    description = fields.TextField(default="")
    period = fields.ForeignKeyField("models.Period", related_name="objectives", on_delete=fields.RESTRICT)
    period_id: int
    version = fields.IntField(default=1)
    archived_at = fields.DatetimeField(null=True)
    rolled_over_from = fields.ForeignKeyField("models.Objective", related_name=False, null=True,
                                              on_delete=fields.SET_NULL)
    rolled_over_from_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "objective"


class ObjectiveOwner(Model):
    id = fields.IntField(primary_key=True)
    objective = fields.ForeignKeyField("models.Objective", related_name="owners", on_delete=fields.CASCADE)
    objective_id: int
    team = fields.ForeignKeyField("models.Team", related_name="owned_objectives", on_delete=fields.RESTRICT)
    team_id: int
    share = _value()

    class Meta:
        table = "objective_owner"
        unique_together = (("objective", "team"),)


class ObjectiveLink(Model):
    """A child objective aligned to a parent: it CONTRIBUTES to the parent's progress or only SUPPORTS it."""

    id = fields.IntField(primary_key=True)
    child = fields.ForeignKeyField("models.Objective", related_name="parent_links", on_delete=fields.CASCADE)
    child_id: int
    parent = fields.ForeignKeyField("models.Objective", related_name="child_links", on_delete=fields.CASCADE)
    parent_id: int
    kind = fields.CharEnumField(LinkKind, max_length=16)

    class Meta:
        table = "objective_link"
        unique_together = (("child", "parent"),)


class KeyResult(Model):
    id = fields.IntField(primary_key=True)
    objective = fields.ForeignKeyField("models.Objective", related_name="key_results", on_delete=fields.CASCADE)
    objective_id: int
    title = fields.CharField(max_length=300)
    kind = fields.CharEnumField(KeyResultKind, max_length=24)
    unit = fields.CharEnumField(Unit, max_length=16)
    start = _value()
    target = _value()
    weight = _value(default=1)
    source = fields.CharEnumField(KeyResultSource, max_length=8, default=KeyResultSource.MANUAL)
    metric_name = fields.CharField(max_length=64, null=True)
    metric_team_ids = fields.JSONField(null=True)
    version = fields.IntField(default=1)
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "key_result"


class CheckIn(Model):
    """A check-in is never edited: history is kept, newest last by id."""

    id = fields.BigIntField(primary_key=True)
    key_result = fields.ForeignKeyField("models.KeyResult", related_name="check_ins", on_delete=fields.CASCADE)
    key_result_id: int
    value = _value(null=True)
    confidence = fields.DecimalField(max_digits=7, decimal_places=6, null=True)
    comment = fields.TextField(default="")
    author_person_id = fields.IntField(null=True)
    author_name = fields.CharField(max_length=200)
    at = fields.DatetimeField()

    class Meta:
        table = "check_in"
        indexes = (("key_result_id", "id"),)


class ObjectiveScore(Model):
    """The frozen result of an objective when its period closed, with a leader's override if any."""

    id = fields.IntField(primary_key=True)
    objective = fields.OneToOneField("models.Objective", related_name="score_row", on_delete=fields.CASCADE)
    objective_id: int
    progress = _value()
    status = fields.CharEnumField(Status, max_length=16)
    score = fields.DecimalField(max_digits=3, decimal_places=1)
    override_score = fields.DecimalField(max_digits=3, decimal_places=1, null=True)
    override_reason = fields.TextField(null=True)
    overridden_by = fields.CharField(max_length=200, null=True)
    overridden_at = fields.DatetimeField(null=True)

    class Meta:
        table = "objective_score"


class KeyResultSnapshot(Model):
    """A key result's figures frozen when its period closed."""

    id = fields.IntField(primary_key=True)
    key_result = fields.OneToOneField("models.KeyResult", related_name="snapshot", on_delete=fields.CASCADE)
    key_result_id: int
    current = _value()
    raw_progress = _value()
    status = fields.CharEnumField(Status, max_length=16)

    class Meta:
        table = "key_result_snapshot"
