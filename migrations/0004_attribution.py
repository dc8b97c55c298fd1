from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.attribution.models import ProposalStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_leads')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ModelOfRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='model_proposals', on_delete=OnDelete.RESTRICT)),
                ('model', fields.CharField(max_length=16)),
                ('half_life_days', fields.DecimalField(max_digits=9, decimal_places=3)),
                ('custom_weights', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=ProposalStatus.PROPOSED, description='PROPOSED: PROPOSED\nACTIVE: ACTIVE\nSUPERSEDED: SUPERSEDED', enum_type=ProposalStatus, max_length=16)),
                ('proposed_by', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('activated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'model_of_record', 'app': 'models', 'pk_attr': 'id', 'table_description': "A period's attribution model of record, proposed and then approved by a sales and a marketing leader."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ModelOfRecordApproval',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('proposal', fields.ForeignKeyField('models.ModelOfRecord', source_field='proposal_id', db_constraint=True, to_field='id', related_name='approvals', on_delete=OnDelete.CASCADE)),
                ('side', fields.CharField(max_length=16)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'model_of_record_approval', 'app': 'models', 'unique_together': (('proposal', 'side'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
