"""Beat stored celery.backend_cleanup (one unbounded DELETE of TaskResults older than a day) as a
row while CELERY_RESULT_EXPIRES was Celery's default. It no longer installs it (the setting is
None: tasks_app.maintenance.retention purges in batches); this removes the row it left behind.
No index is added: the purge reads execution_finished and execution_failures (0005) and
django-celery-results' date_done index."""

from django.db import migrations
from django.utils import timezone

STOCK_CLEANUP = "celery.backend_cleanup"


def drop_stock_cleanup(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=STOCK_CLEANUP, task=STOCK_CLEANUP).delete()[0]:
        # What PeriodicTasks.update_changed() does: running beats reload their rows.
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_app", "0006_service_registry"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(drop_stock_cleanup, migrations.RunPython.noop)]
