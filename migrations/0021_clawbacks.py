from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0020_draws')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Clawback',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('source_period', fields.ForeignKeyField('models.Period', source_field='source_period_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('position', fields.IntField()),
                ('component', fields.CharField(max_length=200)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('amount_cents', fields.BigIntField()),
                ('detected_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('waived_reason', fields.TextField(null=True, unique=False)),
                ('waived_by', fields.CharField(null=True, max_length=200)),
                ('waived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comp_clawback', 'app': 'models', 'unique_together': (('person', 'source_period', 'position', 'opportunity'),), 'pk_attr': 'id', 'table_description': "What comes back of a locked payout when a deal behind it turned LOST or dropped in amount within its plan's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LockedDeal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('position', fields.IntField()),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('cents', fields.BigIntField()),
                ('closed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comp_locked_deal', 'app': 'models', 'indexes': [Index(fields=['opportunity_id'])], 'pk_attr': 'id', 'table_description': "A deal behind a bookings line of a statement locked at its period's close: the person's credit of it then"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CompPlan',
            name='clawback_days',
            field=fields.IntField(null=True),
        ),
    ]
