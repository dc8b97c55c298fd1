from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_report_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DealCredit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('model_key', fields.CharField(max_length=120)),
                ('position', fields.IntField()),
                ('touchpoint_id', fields.BigIntField(null=True)),
                ('at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('team_id', fields.IntField(null=True)),
                ('person_id', fields.IntField(null=True)),
                ('channel', fields.CharField(null=True, max_length=64)),
                ('campaign', fields.CharField(null=True, max_length=200)),
                ('weight', fields.CharField(max_length=40)),
                ('amount_cents', fields.BigIntField()),
                ('deal_amount_cents', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('won_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('horizon', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('influencing', fields.BooleanField()),
            ],
            options={'table': 'deal_credit', 'app': 'models', 'indexes': [Index(fields=['model_key', 'created_at']), Index(fields=['model_key', 'won_at']), Index(fields=['opportunity_id', 'model_key'])], 'pk_attr': 'id', 'table_description': "Derived: one touch's credit of one deal under one model (position -1 and no touch: the whole amount on"},
            bases=['Model'],
        ),
    ]
