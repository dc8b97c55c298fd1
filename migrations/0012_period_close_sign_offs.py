from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_covering_report_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PeriodCloseSignOff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.ForeignKeyField('models.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='close_sign_offs', on_delete=OnDelete.CASCADE)),
                ('side', fields.CharField(max_length=16)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'period_close_sign_off', 'app': 'models', 'unique_together': (('period', 'side'),), 'pk_attr': 'id', 'table_description': 'A sign-off of an ended period by a leader of one side (SALES or MARKETING), the second side closing it.'},
            bases=['Model'],
        ),
    ]
