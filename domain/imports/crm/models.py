from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class CrmLink(Model):
    """What a vendor export tells about the records of later files (a link between vendor records).

    A Salesforce lead's converted opportunity and contact (`kind` 'opportunity' or 'contact', `vendor_id` their id,
    `value` the lead's external id), a campaign's name and channel ('campaign', its id, JSON)."""

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=32)
    kind = fields.CharField(max_length=32)
    vendor_id = fields.CharField(max_length=128)
    value = fields.TextField()

    class Meta:
        table = "crm_link"
        unique_together = (("source", "kind", "vendor_id"),)
