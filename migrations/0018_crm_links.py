from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_history_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CrmLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.CharField(max_length=32)),
                ('kind', fields.CharField(max_length=32)),
                ('vendor_id', fields.CharField(max_length=128)),
                ('value', fields.TextField()),
            ],
            options={'table': 'crm_link', 'app': 'models', 'unique_together': (('source', 'kind', 'vendor_id'),), 'pk_attr': 'id', 'table_description': 'What a vendor export tells about the records of later files (a link between vendor records).'},
            bases=['Model'],
        ),
    ]
