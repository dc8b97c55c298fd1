from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0021_clawbacks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CreditRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('model_key', fields.CharField(max_length=120)),
                ('kind', fields.CharField(max_length=12)),
                ('figure', fields.CharField(max_length=1)),
                ('day', fields.CharField(max_length=10)),
                ('group_key', fields.CharField(max_length=200)),
                ('cents', fields.BigIntField()),
                ('deals', fields.IntField()),
                ('horizon', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'credit_rollup', 'app': 'models', 'unique_together': (('model_key', 'kind', 'day', 'figure', 'group_key'),), 'pk_attr': 'id', 'table_description': 'Derived: the stored credit rows (DealCredit) of one model summed per UTC day, figure and group'},
            bases=['Model'],
        ),
    ]
