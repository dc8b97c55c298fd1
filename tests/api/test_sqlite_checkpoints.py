"""SQLite: the writer does not checkpoint the WAL in its commits; a commit that leaves the WAL past
CHECKPOINT_BYTES has it checkpointed in the background on a read connection (api.sqlite_client), so the imported
rows reach the database file itself without the import waiting for it."""
from __future__ import annotations

import sqlite3

import pytest
from tortoise import connections

from api import sqlite_client
from domain.leads.models import Lead
from tests.api.fixtures import LEAD_HEADER
from tests.conftest import TEST_DATABASE_URL

SQLITE = TEST_DATABASE_URL.startswith("sqlite")
pytestmark = pytest.mark.skipif(not SQLITE, reason="SQLite's WAL")
SQLITE_PATH = TEST_DATABASE_URL[len("sqlite://"):] if SQLITE else ""


def _leads(rows: int, prefix: str) -> str:
    return LEAD_HEADER + "\n" + "".join(
        f"{prefix}-{i},Company {i},Ann,a{i}@x.example,Software,{100 + i % 900},EMEA,VP,web,2026-11-02T09:00:00+00:00\n"
        for i in range(rows))


def _import(api, admin, body: str):
    response = api.http.post("/import/leads", content=body,
                             headers={"Content-Type": "text/csv", "Authorization": f"Bearer {admin}"})
    assert response.status_code == 200, response.text
    return response.json()


def _in_the_file_itself(prefix: str) -> int:
    """Leads of this prefix in the database file, WAL left aside (immutable: SQLite reads the file alone)."""
    connection = sqlite3.connect(f"file:{SQLITE_PATH}?immutable=1", uri=True)
    try:
        return connection.execute("SELECT COUNT(*) FROM lead WHERE external_id LIKE ?", (f"{prefix}-%",)).fetchone()[0]
    finally:
        connection.close()


def test_a_large_commit_is_checkpointed_after_it_not_in_it(api, admin, monkeypatch):
    client = connections.get("default")
    assert api.run(client.execute_query("PRAGMA wal_autocheckpoint"))[1][0][0] == 0  # SQLite's own: off
    monkeypatch.setattr(sqlite_client, "CHECKPOINT_BYTES", 1)  # any WAL is past it
    api.run(client.settle_checkpoint())
    assert _import(api, admin, _leads(300, "CK"))["created"] == 300
    task = client._checkpoint
    assert task is not None and task.get_name() == sqlite_client.CHECKPOINT_TASK
    busy, in_wal, checkpointed = api.run(task)
    assert busy == 0 and in_wal > 0 and checkpointed == in_wal  # every page of the WAL copied into the file
    assert _in_the_file_itself("CK") == 300
    assert api.run(Lead.filter(external_id__startswith="CK-").count()) == 300


def test_a_small_commit_leaves_the_wal_for_later(api, admin, monkeypatch):
    client = connections.get("default")
    monkeypatch.setattr(sqlite_client, "CHECKPOINT_BYTES", 1 << 40)  # no WAL is past it
    api.run(client.settle_checkpoint())
    assert _import(api, admin, _leads(3, "SM"))["created"] == 3
    assert client._checkpoint is None
    assert _in_the_file_itself("SM") == 0  # still only in the WAL
    assert api.run(Lead.filter(external_id__startswith="SM-").count()) == 3  # which every reader reads
