"""The log, its checkpoints and the quarantine refuse UPDATE, DELETE and TRUNCATE, whoever asks (even the owner
that runs migrations); records refuse DELETE. The grants (manage.py grant_app_role) are the second lock."""

from __future__ import annotations

from django.db import migrations

APPEND_ONLY = ("core_logentry", "core_checkpoint", "core_quarantine")

FUNCTION = """
CREATE OR REPLACE FUNCTION registry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'registry: % on % is refused: this table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _triggers(table: str, ops: str) -> str:
    return (f"CREATE TRIGGER {table}_append_only BEFORE {ops} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();\n"
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION registry_refuse_change();\n")


FORWARD = FUNCTION + "".join(_triggers(t, "UPDATE OR DELETE") for t in APPEND_ONLY) + _triggers("core_record", "DELETE")
BACKWARD = "".join(f"DROP TRIGGER {t}_append_only ON {t}; DROP TRIGGER {t}_no_truncate ON {t};"
                   for t in (*APPEND_ONLY, "core_record")) + "DROP FUNCTION registry_refuse_change();"


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
