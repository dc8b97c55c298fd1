from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.org.rules import PeriodStatus, Role, TeamFunction
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_token_id', fields.IntField(null=True)),
                ('actor_person_id', fields.IntField(null=True)),
                ('actor_name', fields.CharField(max_length=200)),
                ('action', fields.CharField(max_length=64)),
                ('entity', fields.CharField(max_length=64)),
                ('entity_id', fields.CharField(max_length=64)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Period',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=7)),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=PeriodStatus.OPEN, description='OPEN: OPEN\nCLOSED: CLOSED', enum_type=PeriodStatus, max_length=8)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'period', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A fiscal quarter in use, stored on first use (reading one never stores it).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Team',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('function', fields.CharEnumField(description='SALES: SALES\nMARKETING: MARKETING\nSDR: SDR\nCUSTOMER_SUCCESS: CUSTOMER_SUCCESS\nFINANCE: FINANCE\nLEADERSHIP: LEADERSHIP', enum_type=TeamFunction, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'team', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Person',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('email', fields.CharField(unique=True, max_length=320)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharEnumField(description='ADMIN: ADMIN\nLEADER: LEADER\nFINANCE: FINANCE\nMEMBER: MEMBER', enum_type=Role, max_length=16)),
                ('annual_cost_cents', fields.BigIntField(null=True)),
                ('annual_quota_cents', fields.BigIntField(null=True)),
                ('selling_hours_per_week', fields.DecimalField(max_digits=7, decimal_places=2)),
                ('working_weeks_per_year', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('active', fields.BooleanField(default=True)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'person', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('role', fields.CharEnumField(description='ADMIN: ADMIN\nLEADER: LEADER\nFINANCE: FINANCE\nMEMBER: MEMBER', enum_type=Role, max_length=16)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token. Only the SHA-256 of the secret is stored.'},
            bases=['Model'],
        ),
    ]
