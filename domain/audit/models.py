"""The append-only audit log: every mutation, with actor, time and before/after."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor_token_id = fields.IntField(null=True)
    actor_person_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=200)
    action = fields.CharField(max_length=64)
    entity = fields.CharField(max_length=64)
    entity_id = fields.CharField(max_length=64)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"
