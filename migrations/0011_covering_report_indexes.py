from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_sla_leads')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='DealCredit',
            name=None,
            fields=['model_key', 'created_at'],
        ),
        ops.RemoveIndex(
            model_name='DealCredit',
            name=None,
            fields=['model_key', 'won_at'],
        ),
        ops.AddIndex(
            model_name='DealCredit',
            index=Index(fields=['model_key', 'created_at', 'horizon', 'position', 'influencing', 'team_id', 'deal_amount_cents']),
        ),
        ops.AddIndex(
            model_name='DealCredit',
            index=Index(fields=['model_key', 'won_at', 'horizon', 'position', 'team_id', 'amount_cents']),
        ),
        ops.RemoveIndex(
            model_name='LeadEvent',
            name=None,
            fields=['stage', 'at'],
        ),
        ops.AddIndex(
            model_name='LeadEvent',
            index=Index(fields=['stage', 'at', 'type', 'lead_id']),
        ),
        ops.AddIndex(
            model_name='LeadFact',
            index=Index(fields=['first_touch_team_id', 'mql_at', 'decision', 'sql_at']),
        ),
        ops.AddIndex(
            model_name='Opportunity',
            index=Index(fields=['closed_at', 'status', 'owner_id', 'amount_cents']),
        ),
        ops.RemoveIndex(
            model_name='Touchpoint',
            name=None,
            fields=['lead_id', 'at'],
        ),
        ops.AddIndex(
            model_name='Touchpoint',
            index=Index(fields=['lead_id', 'at', 'id', 'kind', 'person_id', 'duration_minutes']),
        ),
    ]
