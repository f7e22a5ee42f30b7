"""A response opens at most one follow-up (0003 merged the earlier ones): the per-answer link and its constraint go."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_title_and_merged_follow_ups")]

    operations = [
        migrations.RemoveConstraint(model_name="followup", name="customers_follow_up_once_per_answer"),
        migrations.RemoveField(model_name="followup", name="question"),
        migrations.AddConstraint(
            model_name="followup",
            constraint=models.UniqueConstraint(fields=("response",), name="customers_follow_up_once_per_response"),
        ),
    ]
