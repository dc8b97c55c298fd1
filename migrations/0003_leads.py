from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.attribution.models import OpportunityStatus, TouchKind
from domain.leads.models import ApprovalSide, DefinitionStatus
from domain.leads.rules import Stage
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_goals')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Lead',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('external_id', fields.CharField(unique=True, max_length=128)),
                ('company', fields.CharField(max_length=300)),
                ('contact_name', fields.CharField(default='', max_length=300)),
                ('email', fields.CharField(default='', max_length=320)),
                ('industry', fields.CharField(null=True, max_length=120)),
                ('employees', fields.IntField(null=True)),
                ('region', fields.CharField(null=True, max_length=120)),
                ('title', fields.CharField(null=True, max_length=200)),
                ('source', fields.CharField(null=True, max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lead', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadDefinition',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('version', fields.IntField(unique=True)),
                ('name', fields.CharField(max_length=200)),
                ('industries', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('employees_min', fields.IntField(null=True)),
                ('employees_max', fields.IntField(null=True)),
                ('regions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('titles', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('fit_points', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('behaviour_points', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('half_life_days', fields.DecimalField(max_digits=9, decimal_places=3)),
                ('fit_threshold', fields.DecimalField(max_digits=12, decimal_places=3)),
                ('engagement_threshold', fields.DecimalField(max_digits=12, decimal_places=3)),
                ('status', fields.CharEnumField(default=DefinitionStatus.DRAFT, description='DRAFT: DRAFT\nACTIVE: ACTIVE\nSUPERSEDED: SUPERSEDED', enum_type=DefinitionStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_by', fields.CharField(max_length=200)),
                ('activated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lead_definition', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A version of the agreed ideal customer profile and scoring model. Active once both sides approved it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadDefinitionApproval',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('definition', fields.ForeignKeyField('models.LeadDefinition', source_field='definition_id', db_constraint=True, to_field='id', related_name='approvals', on_delete=OnDelete.CASCADE)),
                ('side', fields.CharEnumField(description='SALES: SALES\nMARKETING: MARKETING', enum_type=ApprovalSide, max_length=16)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='definition_approvals', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lead_definition_approval', 'app': 'models', 'unique_together': (('definition', 'side'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('external_id', fields.CharField(null=True, unique=True, max_length=128)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('type', fields.CharField(max_length=32)),
                ('stage', fields.CharEnumField(null=True, description='LEAD: LEAD\nMQL: MQL\nSAL: SAL\nSQL: SQL\nOPPORTUNITY: OPPORTUNITY\nWON: WON\nLOST: LOST\nRECYCLED: RECYCLED\nDISQUALIFIED: DISQUALIFIED', enum_type=Stage, max_length=16)),
                ('owner_person', fields.ForeignKeyField('models.Person', source_field='owner_person_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('actor_person_id', fields.IntField(null=True)),
                ('actor_name', fields.CharField(default='', max_length=200)),
                ('reason_code', fields.CharField(null=True, max_length=32)),
                ('reason_text', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'lead_event', 'app': 'models', 'indexes': [Index(fields=['lead_id', 'at'])], 'pk_attr': 'id', 'table_description': 'A behaviour, a stage change or an assignment. Events are facts: never edited.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadFact',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.OneToOneField('models.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='facts', on_delete=OnDelete.CASCADE)),
                ('stage', fields.CharEnumField(description='LEAD: LEAD\nMQL: MQL\nSAL: SAL\nSQL: SQL\nOPPORTUNITY: OPPORTUNITY\nWON: WON\nLOST: LOST\nRECYCLED: RECYCLED\nDISQUALIFIED: DISQUALIFIED', enum_type=Stage, max_length=16)),
                ('owner_person_id', fields.IntField(null=True)),
                ('owner_team_id', fields.IntField(null=True, db_index=True)),
                ('first_touch_team_id', fields.IntField(null=True, db_index=True)),
                ('mql_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('handover_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('handover_owner_id', fields.IntField(null=True)),
                ('first_follow_up_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('decision', fields.CharEnumField(null=True, description='LEAD: LEAD\nMQL: MQL\nSAL: SAL\nSQL: SQL\nOPPORTUNITY: OPPORTUNITY\nWON: WON\nLOST: LOST\nRECYCLED: RECYCLED\nDISQUALIFIED: DISQUALIFIED', enum_type=Stage, max_length=16)),
                ('decision_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sal_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sql_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lead_fact', 'app': 'models', 'pk_attr': 'id', 'table_description': "Derived per-lead SLA facts, kept current in the transaction that changes a lead's events or touches."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Opportunity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('external_id', fields.CharField(unique=True, max_length=128)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', null=True, db_constraint=True, to_field='id', related_name='opportunities', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(max_length=300)),
                ('amount_cents', fields.BigIntField()),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(description='OPEN: OPEN\nWON: WON\nLOST: LOST', enum_type=OpportunityStatus, max_length=8)),
                ('closed_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('owner', fields.ForeignKeyField('models.Person', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='opportunities', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'opportunity', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A deal from the CRM. Pipeline counts in the period it was created, bookings in the period it was won.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SlaAgreement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='sla_agreements', on_delete=OnDelete.RESTRICT)),
                ('marketing_team', fields.ForeignKeyField('models.Team', source_field='marketing_team_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('sales_team', fields.ForeignKeyField('models.Team', source_field='sales_team_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('mql_volume', fields.IntField()),
                ('acceptance_rate_target', fields.DecimalField(max_digits=7, decimal_places=6)),
                ('handover_hours', fields.DecimalField(max_digits=9, decimal_places=3)),
                ('follow_up_hours', fields.DecimalField(max_digits=9, decimal_places=3)),
                ('follow_up_rate_target', fields.DecimalField(max_digits=7, decimal_places=6)),
                ('minimum_attempts', fields.IntField(default=1)),
                ('decision_days', fields.DecimalField(max_digits=9, decimal_places=3)),
                ('business_hours_only', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sla_agreement', 'app': 'models', 'unique_together': (('period', 'marketing_team', 'sales_team'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Touchpoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('external_id', fields.CharField(unique=True, max_length=128)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='touchpoints', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('kind', fields.CharEnumField(description='MARKETING: MARKETING\nSALES: SALES', enum_type=TouchKind, max_length=16)),
                ('channel', fields.CharField(max_length=64)),
                ('campaign', fields.CharField(null=True, max_length=200)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='touchpoints', on_delete=OnDelete.RESTRICT)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='touchpoints', on_delete=OnDelete.RESTRICT)),
                ('duration_minutes', fields.IntField(null=True)),
            ],
            options={'table': 'touchpoint', 'app': 'models', 'indexes': [Index(fields=['lead_id', 'at'])], 'pk_attr': 'id', 'table_description': 'A marketing or sales touch on a lead. A fact: re-importing it with other content is refused.'},
            bases=['Model'],
        ),
    ]
