from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_comp')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ApiToken',
            name='created_by_token_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='ApiToken',
            name='export_only',
            field=fields.BooleanField(default=False, null=True),
        ),
    ]
