from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_deal_credits')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Touchpoint',
            name=None,
            fields=['kind', 'at'],
        ),
        ops.AddIndex(
            model_name='Touchpoint',
            index=Index(fields=['at', 'kind']),
        ),
    ]
