from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0018_crm_links')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OpportunitySplit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', db_constraint=True, to_field='id', related_name='splits', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('percent', fields.DecimalField(max_digits=5, decimal_places=2)),
            ],
            options={'table': 'opportunity_split', 'app': 'models', 'unique_together': (('opportunity', 'person'),), 'pk_attr': 'id', 'table_description': "A share of a deal's credit for pay (an account executive 70%, a solutions engineer 30%): a deal's splits sum"},
            bases=['Model'],
        ),
    ]
