"""The stored subtree hashes are part of the log: append-only like the entries (trigger of migration 0002)."""

from __future__ import annotations

from django.db import migrations

TABLE = "core_logsubtree"
FORWARD = (f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
           f"FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();\n"
           f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
           f"FOR EACH STATEMENT EXECUTE FUNCTION registry_refuse_change();")
BACKWARD = f"DROP TRIGGER {TABLE}_append_only ON {TABLE}; DROP TRIGGER {TABLE}_no_truncate ON {TABLE};"


class Migration(migrations.Migration):
    dependencies = [("core", "0003_log_subtrees")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
