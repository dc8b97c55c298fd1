from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_opportunity_splits')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LockedDraw',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('amount_cents', fields.BigIntField()),
                ('recoverable', fields.BooleanField()),
                ('balance_after_cents', fields.BigIntField()),
                ('locked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comp_locked_draw', 'app': 'models', 'unique_together': (('person', 'period'),), 'pk_attr': 'id', 'table_description': "A statement's draw frozen when its period closed: the top-up (positive) or the recovery of an earlier"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CompPlan',
            name='draw_minimum_cents',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='CompPlan',
            name='draw_recoverable',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='CompPlan',
            name='draw_recovery_share',
            field=fields.DecimalField(default=1, max_digits=24, decimal_places=6),
        ),
    ]
