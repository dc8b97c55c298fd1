from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.goals.rules import KeyResultKind, KeyResultSource, LinkKind, Status, Unit
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Objective',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=300)),
                ('description', fields.TextField(default='', unique=False)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='objectives', on_delete=OnDelete.RESTRICT)),
                ('version', fields.IntField(default=1)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rolled_over_from', fields.ForeignKeyField('models.Objective', source_field='rolled_over_from_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'objective', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KeyResult',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('objective', fields.ForeignKeyField('models.Objective', source_field='objective_id', db_constraint=True, to_field='id', related_name='key_results', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=300)),
                ('kind', fields.CharEnumField(description='INCREASE_TO: INCREASE_TO\nDECREASE_TO: DECREASE_TO\nSTAY_AT_OR_ABOVE: STAY_AT_OR_ABOVE\nSTAY_AT_OR_BELOW: STAY_AT_OR_BELOW\nMILESTONE: MILESTONE', enum_type=KeyResultKind, max_length=24)),
                ('unit', fields.CharEnumField(description='CURRENCY: CURRENCY\nCOUNT: COUNT\nPERCENT: PERCENT\nHOURS: HOURS', enum_type=Unit, max_length=16)),
                ('start', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('target', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('weight', fields.DecimalField(default=1, max_digits=24, decimal_places=6)),
                ('source', fields.CharEnumField(default=KeyResultSource.MANUAL, description='MANUAL: MANUAL\nMETRIC: METRIC', enum_type=KeyResultSource, max_length=8)),
                ('metric_name', fields.CharField(null=True, max_length=64)),
                ('metric_team_ids', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField(default=1)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'key_result', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CheckIn',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key_result', fields.ForeignKeyField('models.KeyResult', source_field='key_result_id', db_constraint=True, to_field='id', related_name='check_ins', on_delete=OnDelete.CASCADE)),
                ('value', fields.DecimalField(null=True, max_digits=24, decimal_places=6)),
                ('confidence', fields.DecimalField(null=True, max_digits=7, decimal_places=6)),
                ('comment', fields.TextField(default='', unique=False)),
                ('author_person_id', fields.IntField(null=True)),
                ('author_name', fields.CharField(max_length=200)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'check_in', 'app': 'models', 'indexes': [Index(fields=['key_result_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A check-in is never edited: history is kept, newest last by id.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KeyResultSnapshot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key_result', fields.OneToOneField('models.KeyResult', source_field='key_result_id', db_constraint=True, to_field='id', related_name='snapshot', on_delete=OnDelete.CASCADE)),
                ('current', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('raw_progress', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('status', fields.CharEnumField(description='OFF_TRACK: OFF_TRACK\nAT_RISK: AT_RISK\nON_TRACK: ON_TRACK\nACCOMPLISHED: ACCOMPLISHED', enum_type=Status, max_length=16)),
            ],
            options={'table': 'key_result_snapshot', 'app': 'models', 'pk_attr': 'id', 'table_description': "A key result's figures frozen when its period closed."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ObjectiveLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('child', fields.ForeignKeyField('models.Objective', source_field='child_id', db_constraint=True, to_field='id', related_name='parent_links', on_delete=OnDelete.CASCADE)),
                ('parent', fields.ForeignKeyField('models.Objective', source_field='parent_id', db_constraint=True, to_field='id', related_name='child_links', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CONTRIBUTES: CONTRIBUTES\nSUPPORTS: SUPPORTS', enum_type=LinkKind, max_length=16)),
            ],
            options={'table': 'objective_link', 'app': 'models', 'unique_together': (('child', 'parent'),), 'pk_attr': 'id', 'table_description': "A child objective aligned to a parent: it CONTRIBUTES to the parent's progress or only SUPPORTS it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ObjectiveOwner',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('objective', fields.ForeignKeyField('models.Objective', source_field='objective_id', db_constraint=True, to_field='id', related_name='owners', on_delete=OnDelete.CASCADE)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='owned_objectives', on_delete=OnDelete.RESTRICT)),
                ('share', fields.DecimalField(max_digits=24, decimal_places=6)),
            ],
            options={'table': 'objective_owner', 'app': 'models', 'unique_together': (('objective', 'team'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ObjectiveScore',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('objective', fields.OneToOneField('models.Objective', source_field='objective_id', db_constraint=True, to_field='id', related_name='score_row', on_delete=OnDelete.CASCADE)),
                ('progress', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('status', fields.CharEnumField(description='OFF_TRACK: OFF_TRACK\nAT_RISK: AT_RISK\nON_TRACK: ON_TRACK\nACCOMPLISHED: ACCOMPLISHED', enum_type=Status, max_length=16)),
                ('score', fields.DecimalField(max_digits=3, decimal_places=1)),
                ('override_score', fields.DecimalField(null=True, max_digits=3, decimal_places=1)),
                ('override_reason', fields.TextField(null=True, unique=False)),
                ('overridden_by', fields.CharField(null=True, max_length=200)),
                ('overridden_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'objective_score', 'app': 'models', 'pk_attr': 'id', 'table_description': "The frozen result of an objective when its period closed, with a leader's override if any."},
            bases=['Model'],
        ),
    ]
