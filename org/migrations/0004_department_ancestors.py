# The department tree's closure (org.models.DepartmentAncestor), filled from the existing paths.

import django.db.models.deletion
from django.db import migrations, models


def fill_from_paths(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO org_departmentancestor (department_id, ancestor_id) SELECT d.id, a.id "
            "FROM org_department d JOIN org_department a ON d.path LIKE a.path || '%'"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0003_pending_uploads_belong_to_core'),
    ]

    operations = [
        migrations.CreateModel(
            name='DepartmentAncestor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ancestor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.department')),
                ('department', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.department')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('department', 'ancestor'), name='org_department_ancestor_once')],
            },
        ),
        migrations.RunPython(fill_from_paths, migrations.RunPython.noop),
    ]
