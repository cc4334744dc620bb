"""A trigram index on unit names (PostgreSQL): the public publicity search and the queue's
name search (``name__icontains``, i.e. ``UPPER(name) LIKE '%…%'``) find a company among a
million units from the index instead of reading every row.

PostgreSQL only, and only where the ``pg_trgm`` extension is installed (it ships with
PostgreSQL's contrib package and is a trusted extension: the database owner may create it).
Elsewhere the search works the same, by reading the rows.
"""

from django.db import migrations

INDEX = "unit_name_trigram"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_unit "
                       "USING gin (UPPER(name::text) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_case_queue_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
