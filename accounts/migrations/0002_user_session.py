"""Sessions move to accounts_session, which keeps the signed-in user's id beside the session's data
(accounts.session_store). The sessions alive in django_session are copied, so nobody is signed out."""

from django.db import migrations, models
from django.utils import timezone


def copy_live_sessions(apps, schema_editor) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.session_store import signed_in_user_id

    old = apps.get_model("sessions", "Session")
    new = apps.get_model("accounts", "UserSession")
    decoder = SessionStore()  # the same signing salt as accounts.session_store's SessionStore
    batch = []
    for row in old.objects.using(schema_editor.connection.alias).filter(expire_date__gt=timezone.now()).iterator():
        batch.append(
            new(
                session_key=row.session_key,
                session_data=row.session_data,
                expire_date=row.expire_date,
                user_id=signed_in_user_id(decoder.decode(row.session_data)),
            )
        )
        if len(batch) >= 1000:
            new.objects.using(schema_editor.connection.alias).bulk_create(batch, ignore_conflicts=True)
            batch.clear()
    new.objects.using(schema_editor.connection.alias).bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserSession",
            fields=[
                ("session_key", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="session key")),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                ("user_id", models.IntegerField(db_index=True, null=True)),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "db_table": "accounts_session",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_live_sessions, migrations.RunPython.noop, elidable=True),
    ]
