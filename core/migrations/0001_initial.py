# Pending uploads move from org to core (shared infrastructure). The tables stay where they are (their names are
# kept with db_table), so this only changes Django's picture of which app owns them.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0002_pending_uploads'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='PendingUpload',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token', models.CharField(max_length=32, unique=True)),
                        ('kind', models.CharField(help_text='Which import it is for, e.g. “readings”.', max_length=40)),
                        ('name', models.CharField(help_text="The file's name on the uploader's computer.", max_length=200)),
                        ('size', models.PositiveBigIntegerField(default=0)),
                        ('data', models.JSONField(blank=True, default=dict, help_text='What the import needs besides the file.')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={'db_table': 'org_pendingupload'},
                ),
                migrations.CreateModel(
                    name='PendingUploadChunk',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveIntegerField()),
                        ('data', models.BinaryField()),
                        ('upload', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.pendingupload')),
                    ],
                    options={'db_table': 'org_pendinguploadchunk'},
                ),
                migrations.AddIndex(
                    model_name='pendingupload',
                    index=models.Index(fields=['user', 'kind', 'created_at'], name='org_upload_by_user_kind'),
                ),
                migrations.AddConstraint(
                    model_name='pendinguploadchunk',
                    constraint=models.UniqueConstraint(fields=('upload', 'seq'), name='org_upload_chunk_once'),
                ),
            ],
        ),
    ]
