"""Consistent online backups of the SQLite database, with SQLite's own backup API (safe while the service writes)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from api.db import sqlite_file


class BackupError(Exception):
    pass


def backup_sqlite(database_url: str, target: str | Path, pages_per_step: int = 1024) -> int:
    """Copy the live database to `target` page by page; returns the number of pages copied."""
    if not database_url.startswith("sqlite"):
        raise BackupError("backup copies the SQLite database; for PostgreSQL use pg_dump (see the README)")
    source_path = sqlite_file(database_url)
    if source_path is None:
        raise BackupError("an in-memory database has no file to back up")
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path}")
    target = Path(target)
    if target.resolve() == source_path.resolve():
        raise BackupError("the backup must go to another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    pages = 0

    def progress(status, remaining, total):
        nonlocal pages
        pages = total

    source = sqlite3.connect(f"{source_path.as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination, pages=pages_per_step, progress=progress)
        ok = destination.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the copy failed its integrity check: {ok}")
    finally:
        destination.close()
        source.close()
    return pages
