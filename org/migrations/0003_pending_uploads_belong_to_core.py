# Pending uploads now belong to the core app (core 0001 takes them over with the same tables): state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0002_pending_uploads'),
        ('core', '0001_initial'),
        ('metrics', '0007_reading_import_upload_in_core'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='PendingUploadChunk'),
                migrations.DeleteModel(name='PendingUpload'),
            ],
        ),
    ]
