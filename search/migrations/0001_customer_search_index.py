"""A GIN index for the search over customers, the one kind that grows to millions of rows (PostgreSQL only).

The index is built from the very expression search.selectors queries with (the same SearchVector), so the planner
can use it; SQLite searches with LIKE and needs none.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

NAME = "customers_customer_search"
FIELDS = ("name", "email", "segment", "products")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    customer = apps.get_model("customers", "Customer")
    schema_editor.add_index(customer, GinIndex(SearchVector(*FIELDS, config="simple"), name=NAME))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_one_scale_per_criterion")]
    operations = [migrations.RunPython(create, drop)]
