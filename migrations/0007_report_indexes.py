from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_export_tokens')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='LeadEvent',
            index=Index(fields=['stage', 'at']),
        ),
        ops.AddIndex(
            model_name='LeadFact',
            index=Index(fields=['stage', 'lead_id']),
        ),
        ops.AddIndex(
            model_name='LeadFact',
            index=Index(fields=['sal_at', 'owner_team_id']),
        ),
        ops.AddIndex(
            model_name='LeadFact',
            index=Index(fields=['sql_at', 'owner_team_id']),
        ),
        ops.AddIndex(
            model_name='Touchpoint',
            index=Index(fields=['kind', 'at']),
        ),
    ]
