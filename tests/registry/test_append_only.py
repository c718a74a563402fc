"""The log, its checkpoints and the quarantine cannot be changed, by the app role (grants and trigger) nor by
the tables' owner (trigger): history is append-only in PostgreSQL itself, not only in the Python code."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from registry.cluster import Cluster, ClusterError
from registry.core.models import Checkpoint, LogEntry, Quarantine

FAR = 10**15  # an index no test log reaches; every row made here is rolled back


class _Rollback(Exception):
    pass


def _refused(statement: str, params: list[object]) -> str:
    """Run a statement as the app role inside a rolled-back transaction; the database error it raised."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(caught.value)


def test_app_role_cannot_update_or_delete_log_entries() -> None:
    try:
        with transaction.atomic():
            LogEntry.objects.create(index=FAR, entry=b"synthetic", leaf_hash=b"\0" * 32)
            for statement in ("UPDATE core_logentry SET entry = 'x' WHERE index = %s",
                              "DELETE FROM core_logentry WHERE index = %s"):
                assert "permission denied" in _refused(statement, [FAR])
            raise _Rollback
    except _Rollback:
        pass
    assert not LogEntry.objects.filter(index=FAR).exists()


def test_app_role_cannot_truncate_or_rewrite_checkpoints() -> None:
    assert "permission denied" in _refused("TRUNCATE core_checkpoint", [])
    assert "permission denied" in _refused("UPDATE core_checkpoint SET note = 'x' WHERE size = %s", [FAR])
    assert Checkpoint.objects.filter(size=FAR).count() == 0


def test_quarantine_rows_stay() -> None:
    row = Quarantine.objects.create(error="test", reason="synthetic row made by the test", body=b"{}")
    assert "permission denied" in _refused("DELETE FROM core_quarantine WHERE id = %s", [row.pk])
    assert Quarantine.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("statement", [
    "UPDATE core_logentry SET entry = 'x'",
    "DELETE FROM core_logentry",
])
def test_owner_is_refused_by_the_trigger(cluster: Cluster, statement: str) -> None:
    """The superuser bypasses grants, not triggers: the trigger names the refused operation."""
    sql = (f"BEGIN; INSERT INTO core_logentry (index, entry, leaf_hash, appended_at) "
           f"VALUES ({FAR}, 'synthetic', '\\x00', now()); {statement}; ROLLBACK;")
    with pytest.raises(ClusterError, match="append-only"):
        cluster.psql(sql, database="registry")
    with pytest.raises(ClusterError, match="append-only"):
        cluster.psql("TRUNCATE core_quarantine", database="registry")
