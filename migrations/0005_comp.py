from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.comp.models import DisputeStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_attribution')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CompAdjustment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('component', fields.CharField(null=True, max_length=200)),
                ('amount_cents', fields.BigIntField()),
                ('reason', fields.TextField(unique=False)),
                ('author_name', fields.CharField(max_length=200)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comp_adjustment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A change to a locked statement, with its reason and author.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CompDispute',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('component', fields.CharField(max_length=200)),
                ('reason', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=DisputeStatus.OPEN, description='OPEN: OPEN\nRESOLVED: RESOLVED', enum_type=DisputeStatus, max_length=16)),
                ('resolution', fields.TextField(null=True, unique=False)),
                ('resolved_by', fields.CharField(null=True, max_length=200)),
                ('adjustment', fields.ForeignKeyField('models.CompAdjustment', source_field='adjustment_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comp_dispute', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CompPlan',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='comp_plans', on_delete=OnDelete.RESTRICT)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='comp_plans', on_delete=OnDelete.RESTRICT)),
                ('target_variable_cents', fields.BigIntField()),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comp_plan', 'app': 'models', 'unique_together': (('person', 'period'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CompComponent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.CompPlan', source_field='plan_id', db_constraint=True, to_field='id', related_name='components', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('name', fields.CharField(max_length=200)),
                ('metric', fields.CharField(max_length=32)),
                ('key_result_id', fields.IntField(null=True)),
                ('quota', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('weight', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('threshold', fields.DecimalField(default=0, max_digits=24, decimal_places=6)),
                ('accelerator', fields.DecimalField(default=1, max_digits=24, decimal_places=6)),
                ('cap', fields.DecimalField(null=True, max_digits=24, decimal_places=6)),
                ('tiers', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('gate_key_result_id', fields.IntField(null=True)),
                ('gate_min_progress', fields.DecimalField(null=True, max_digits=24, decimal_places=6)),
            ],
            options={'table': 'comp_component', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LockedLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('position', fields.IntField()),
                ('component', fields.CharField(max_length=200)),
                ('metric', fields.CharField(max_length=32)),
                ('metric_value', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('quota', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('attainment', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('curve_value', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('gate_open', fields.BooleanField()),
                ('payout_cents', fields.BigIntField()),
                ('target_variable_cents', fields.BigIntField()),
                ('locked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comp_locked_line', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A statement line frozen when its period closed.'},
            bases=['Model'],
        ),
    ]
