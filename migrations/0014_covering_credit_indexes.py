from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_token_last_used')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='DealCredit',
            name=None,
            fields=['model_key', 'created_at', 'horizon', 'position', 'influencing', 'team_id', 'deal_amount_cents'],
        ),
        ops.RemoveIndex(
            model_name='DealCredit',
            name=None,
            fields=['model_key', 'won_at', 'horizon', 'position', 'team_id', 'amount_cents'],
        ),
        ops.AddIndex(
            model_name='DealCredit',
            index=Index(fields=['model_key', 'created_at', 'horizon', 'position', 'team_id', 'amount_cents', 'won_at', 'influencing', 'deal_amount_cents']),
        ),
        ops.AddIndex(
            model_name='DealCredit',
            index=Index(fields=['model_key', 'won_at', 'horizon', 'position', 'team_id', 'amount_cents', 'created_at', 'influencing', 'deal_amount_cents']),
        ),
    ]
