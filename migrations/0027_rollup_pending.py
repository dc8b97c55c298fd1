from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0026_driven_store')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CreditRollupPending',
            fields=[
                ('opportunity_id', fields.BigIntField(generated=False, primary_key=True, unique=True, db_index=True)),
            ],
            options={'table': 'credit_rollup_pending', 'app': 'models', 'pk_attr': 'opportunity_id', 'table_description': 'Derived: a deal whose stored credit rows are not summed into the rollups (CreditRollup) yet. A large import'},
            bases=['Model'],
        ),
    ]
