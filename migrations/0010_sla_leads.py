from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_touchpoint_time_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SlaLead',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agreement', fields.ForeignKeyField('models.SlaAgreement', source_field='agreement_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('mql_us', fields.BigIntField()),
                ('marketing_person_id', fields.IntField(null=True)),
                ('handover_due_us', fields.BigIntField()),
                ('handover_month', fields.IntField()),
                ('handover_us', fields.BigIntField(null=True)),
                ('handover_owner_id', fields.IntField(null=True)),
                ('follow_up_due_us', fields.BigIntField(null=True)),
                ('follow_up_month', fields.IntField(null=True)),
                ('decision_due_us', fields.BigIntField(null=True)),
                ('decision_month', fields.IntField(null=True)),
                ('follow_up_us', fields.BigIntField(null=True)),
                ('decision', fields.CharField(null=True, max_length=16)),
                ('decision_us', fields.BigIntField(null=True)),
                ('attempts_ok', fields.BooleanField()),
                ('tz', fields.CharField(max_length=64)),
            ],
            options={'table': 'sla_lead', 'app': 'models', 'unique_together': (('agreement', 'lead'),), 'indexes': [Index(fields=['lead_id'])], 'pk_attr': 'id', 'table_description': "Derived: one lead's SLA commitments under one agreement (a lead that became MQL in the agreement's period,"},
            bases=['Model'],
        ),
    ]
