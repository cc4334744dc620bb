"""Database guards for the audit chain, as ``cases`` 0002 does for case events.

- ``oversight_auditrecord`` refuses UPDATE (both databases) and DELETE (PostgreSQL). SQLite
  keeps DELETE possible because Django's test flush empties tables with DELETE; a deleted
  record still breaks the chain (``audit verify``). TRUNCATE fires no row trigger.
- ``oversight_audithead`` never moves backwards and, on PostgreSQL, is never deleted: rolling
  the head back to hide cut-off records is refused in the database too.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION oversight_auditrecord_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'oversight_auditrecord is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER oversight_auditrecord_append_only BEFORE UPDATE OR DELETE ON oversight_auditrecord
    FOR EACH ROW EXECUTE FUNCTION oversight_auditrecord_append_only();

CREATE OR REPLACE FUNCTION oversight_audithead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq THEN
        RAISE EXCEPTION USING MESSAGE = 'oversight_audithead only moves forward: ' || TG_OP
            || ' refused', ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER oversight_audithead_forward_only BEFORE UPDATE OR DELETE ON oversight_audithead
    FOR EACH ROW EXECUTE FUNCTION oversight_audithead_forward_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS oversight_auditrecord_append_only ON oversight_auditrecord;
DROP FUNCTION IF EXISTS oversight_auditrecord_append_only();
DROP TRIGGER IF EXISTS oversight_audithead_forward_only ON oversight_audithead;
DROP FUNCTION IF EXISTS oversight_audithead_forward_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER oversight_auditrecord_append_only BEFORE UPDATE ON oversight_auditrecord
    BEGIN
        SELECT RAISE(ABORT, 'oversight_auditrecord is append-only: UPDATE refused');
    END;""",
    """CREATE TRIGGER oversight_audithead_forward_only BEFORE UPDATE ON oversight_audithead
    WHEN NEW.seq < OLD.seq
    BEGIN
        SELECT RAISE(ABORT, 'oversight_audithead only moves forward: UPDATE refused');
    END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS oversight_auditrecord_append_only;",
               "DROP TRIGGER IF EXISTS oversight_audithead_forward_only;"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [("oversight", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
