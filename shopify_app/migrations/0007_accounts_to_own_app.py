"""Company, Membership, ApiToken and SignInFailure now belong to accounts (state only: same tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('discovery', '0002_company_moved_to_accounts'),
        ('shopify_app', '0006_sign_in_failure'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay as they are.
            state_operations=[
                migrations.RemoveField(
                    model_name='apitoken',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='company',
                    name='members',
                ),
                migrations.AlterField(
                    model_name='shop',
                    name='company',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shops', to='accounts.company'),
                ),
                migrations.AlterField(
                    model_name='product',
                    name='company',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='products', to='accounts.company'),
                ),
                migrations.RemoveConstraint(
                    model_name='membership',
                    name='membership_unique_user_company',
                ),
                migrations.RemoveIndex(
                    model_name='signinfailure',
                    name='signinfailure_user_time_idx',
                ),
                migrations.DeleteModel(
                    name='SignInFailure',
                ),
                migrations.DeleteModel(
                    name='ApiToken',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='company',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Company',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
            ],
            database_operations=[],
        ),
    ]
