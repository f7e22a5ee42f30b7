"""Messages may name their own From header (customers' invitations come from "<organization> via Keel")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="outgoingemail",
            name="from_email",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
