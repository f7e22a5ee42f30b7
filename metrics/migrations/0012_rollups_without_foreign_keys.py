# Rollups are derived data: no foreign-key check on each row written (metric deletion cascades in code).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0011_closed_period_reopening_and_award_withdrawal'),
    ]

    operations = [
        migrations.AlterField(
            model_name='rollup',
            name='metric',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='rollups', to='metrics.metric'),
        ),
    ]
