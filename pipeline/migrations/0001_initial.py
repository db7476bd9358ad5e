"""DiscoveryRun, moved here from discovery with its tables and rows (state only)."""

import django.db.models.deletion
from django.db import migrations, models


OLD_TASKS = {
    "discovery.tasks.discovery_cycle": "pipeline.tasks.discovery_cycle",
    "discovery.tasks.retention": "pipeline.tasks.retention",
    "discovery.tasks.run_discovery": "pipeline.tasks.run_discovery",
}


def move_content_type_and_tasks(apps, schema_editor) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="pipeline", model="discoveryrun").exists():
        content_type.objects.filter(app_label="discovery", model="discoveryrun").update(app_label="pipeline")
    # Stored schedules name their task by dotted path: they follow the tasks to their new module.
    schedule = apps.get_model("django_q", "Schedule")
    for old, new in OLD_TASKS.items():
        schedule.objects.filter(func=old).update(func=new)


def restore_content_type_and_tasks(apps, schema_editor) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="discovery", model="discoveryrun").exists():
        content_type.objects.filter(app_label="pipeline", model="discoveryrun").update(app_label="discovery")
    schedule = apps.get_model("django_q", "Schedule")
    for old, new in OLD_TASKS.items():
        schedule.objects.filter(func=new).update(func=old)

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('django_q', '0018_task_success_index'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('discovery', '0003_discoveryrun_to_pipeline'),
        ('accounts', '0001_initial'),
        ('shopify_app', '0007_accounts_to_own_app'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay as they are.
            state_operations=[
                migrations.CreateModel(
                    name='DiscoveryRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('trigger', models.CharField(choices=[('schedule', 'Schedule'), ('immediate', 'Immediate (after product sync)'), ('manual', 'Manual')], max_length=16)),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('abandoned', 'Abandoned')], default='queued', max_length=16)),
                        ('products_planned', models.PositiveIntegerField(default=0)),
                        ('products_done', models.PositiveIntegerField(default=0)),
                        ('search_calls', models.PositiveIntegerField(default=0)),
                        ('cached_searches', models.PositiveIntegerField(default=0)),
                        ('units', models.PositiveIntegerField(default=0)),
                        ('videos_found', models.PositiveIntegerField(default=0)),
                        ('matches_made', models.PositiveIntegerField(default=0)),
                        ('errors', models.JSONField(blank=True, default=list)),
                        ('message', models.CharField(blank=True, default='', max_length=500)),
                        ('worker_pid', models.IntegerField(blank=True, null=True)),
                        ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='discovery_runs', to='accounts.company')),
                        ('products', models.ManyToManyField(blank=True, related_name='discovery_runs', to='shopify_app.product')),
                    ],
                    options={
                        'db_table': 'discovery_discoveryrun',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['company', '-created_at'], name='discoveryrun_company_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ['queued', 'running'])), fields=('company',), name='discoveryrun_one_active_per_company')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type_and_tasks, restore_content_type_and_tasks),
    ]
