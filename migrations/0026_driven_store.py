from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0024_credit_rollups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DrivenEffect',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('model_key', fields.CharField(db_index=True, max_length=120)),
                ('channel', fields.CharField(max_length=64)),
                ('effect', fields.CharField(max_length=40)),
                ('removal_effect', fields.FloatField()),
                ('share', fields.FloatField()),
                ('value_share', fields.FloatField()),
                ('journeys', fields.IntField()),
            ],
            options={'table': 'driven_effect', 'app': 'models', 'pk_attr': 'id', 'table_description': "Derived: one channel's figures in a stored data-driven model (DrivenPeriod): the effect its touches are"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DrivenPeriod',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('model_key', fields.CharField(unique=True, max_length=120)),
                ('period_key', fields.CharField(db_index=True, max_length=16)),
                ('model', fields.CharField(max_length=16)),
                ('markov_order', fields.SmallIntField()),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('stale', fields.BooleanField(default=False)),
                ('closed_deals', fields.IntField()),
                ('closed_cents', fields.BigIntField()),
                ('closed_ids', fields.BigIntField()),
                ('won_ids', fields.BigIntField()),
                ('journeys', fields.IntField()),
                ('touch_max_id', fields.BigIntField()),
                ('event_max_id', fields.BigIntField()),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'driven_period', 'app': 'models', 'pk_attr': 'id', 'table_description': "Derived: a closed period's stored data-driven model (MARKOV of one order, or SHAPLEY), whose per-channel"},
            bases=['Model'],
        ),
    ]
