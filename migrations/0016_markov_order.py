from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_covering_credit_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ModelOfRecord',
            name='markov_order',
            field=fields.SmallIntField(default=1),
        ),
    ]
