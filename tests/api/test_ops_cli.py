"""Operational hygiene of the `sharedgoals` command: an unusable database path fails fast and says why, backup
reads DATABASE_URL as serve does, token lifetimes are bounded."""
import sqlite3
import time

import pytest

from tests.api import cli_support as cli


def _unwritable_paths(tmp_path):
    # CI runs as root, who may write anywhere: these paths not even root can create or open for writing
    regular = tmp_path / "a-file"
    regular.write_text("not a folder")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return {
        "under a regular file": (f"sqlite://{regular}/db.sqlite3", f"{regular} is a file, not a folder"),
        "a folder": (f"sqlite://{folder}", "unable to open database file"),
        "under /proc": ("sqlite:///proc/sharedgoals-test.sqlite3", "unable to open database file"),
    }


@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "0"]])
@pytest.mark.parametrize("case", ["under a regular file", "a folder", "under /proc"])
def test_an_unwritable_database_path_fails_within_seconds_with_the_reason(cli_env, tmp_path, command, case):
    url, reason = _unwritable_paths(tmp_path)[case]
    started = time.monotonic()
    done = cli.run(command, env=dict(cli_env.env, DATABASE_URL=url), timeout=60)
    assert time.monotonic() - started < 15  # it used to wait forever on a folder or /proc
    assert done.returncode == 1, done.stderr
    assert reason in done.stderr and "DATABASE_URL" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("form", ["sqlite://{p}", "sqlite:////{p_rel_root}",
                                  "sqlite://{p}?journal_mode=wal"])
def test_backup_reads_every_database_url_that_serve_reads(cli_env, tmp_path, form):
    path = tmp_path / "cli.sqlite3"
    url = form.format(p=path, p_rel_root=str(path).lstrip("/"))
    env = dict(cli_env.env, DATABASE_URL=url)
    cli_env.migrated()  # the migrations applied already: `migrate` through this form of the URL finds them
    assert "applying" not in cli.run(["migrate"], env=env, check=True).stdout
    cli.run(["create-token", "--role", "ADMIN"], env=env, check=True)
    copy = tmp_path / "copy.sqlite3"
    done = cli.run(["backup", str(copy)], env=env)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT COUNT(*) FROM api_token").fetchone()[0] == 1


@pytest.mark.parametrize("days", ["0", "-1", "3651", "100000000"])
def test_create_token_lives_1_to_3650_days(cli_env, days):
    cli_env.migrated()
    done = cli_env("create-token", "--role", "ADMIN", "--expires-days", days, check=False)
    assert done.returncode == 2 and "1 to 3,650 days" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    with sqlite3.connect(cli_env.env["DATABASE_URL"][len("sqlite://"):]) as db:
        assert db.execute("SELECT COUNT(*) FROM api_token").fetchone()[0] == 0


@pytest.mark.parametrize("days", ["1", "3650"])
def test_create_token_with_a_lifetime_in_range_expires_then(cli_env, days):
    cli_env.migrated()
    assert cli_env("create-token", "--role", "ADMIN", "--expires-days", days).stdout.splitlines()[-1].startswith("sg_")
    with sqlite3.connect(cli_env.env["DATABASE_URL"][len("sqlite://"):]) as db:
        (expires,) = db.execute("SELECT julianday(expires_at) - julianday('now') FROM api_token").fetchone()
    assert abs(expires - int(days)) < 0.01
