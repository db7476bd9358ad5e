"""Foreign keys follow Company from shopify_app to accounts (state only: same table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('discovery', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay as they are.
            state_operations=[
                migrations.AlterField(
                    model_name='companyquotaday',
                    name='company',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='quota_days', to='accounts.company'),
                ),
                migrations.AlterField(
                    model_name='discoveryrun',
                    name='company',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='discovery_runs', to='accounts.company'),
                ),
            ],
            database_operations=[],
        ),
    ]
