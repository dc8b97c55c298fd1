from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

# The lead metrics' index by first-touch team and MQL time gains decision_at, so a series of ACCEPTANCE_RATE (and
# the as-of evaluation, which counts only decisions made by then) reads the index alone instead of every lead's row.


class Migration(migrations.Migration):
    dependencies = [('models', '0016_markov_order')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='LeadFact',
            name=None,
            fields=['first_touch_team_id', 'mql_at', 'decision', 'sql_at'],
        ),
        ops.AddIndex(
            model_name='LeadFact',
            index=Index(fields=['first_touch_team_id', 'mql_at', 'decision', 'decision_at', 'sql_at']),
        ),
    ]
