"""DiscoveryRun moves to pipeline, keeping its tables (discovery_discoveryrun and its products) and rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('discovery', '0002_company_moved_to_accounts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay as they are.
            state_operations=[
                migrations.RemoveIndex(
                    model_name='discoveryrun',
                    name='discoveryrun_company_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='discoveryrun',
                    name='discoveryrun_one_active_per_company',
                ),
                migrations.DeleteModel(
                    name='DiscoveryRun',
                ),
            ],
            database_operations=[],
        ),
    ]
