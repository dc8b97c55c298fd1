"""The `sharedgoals` command, run as a newcomer would, on a database of its own."""
import contextlib
import subprocess
import time

import httpx

from schema.schema import export_sdl
from tests.api import cli_support as cli
from tests.api.fixtures import SHAREDGOALS, cli_env  # noqa: F401  (a fixture; still importable from here)
from tests.api.fixtures import free_port as _free_port

@contextlib.contextmanager
def serving(cli_env, script=False):
    """`sharedgoals serve` on a free port until the block ends; yields the port once the database answers. With
    `script`, through the console script (a fresh interpreter) rather than forked from the fork server."""
    port = _free_port()
    args = ["serve", "--port", str(port)]
    server = (subprocess.Popen([SHAREDGOALS, *args], env=cli_env.env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) if script else cli.start(args, env=cli_env.env))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(30)


def test_migrate_seed_token_and_serve_like_make_serve(cli_env):
    # The token and the server through the console script, as `make serve` runs them (the other commands are forked:
    # tests/api/cli_support.py)
    script = lambda *args: subprocess.run([SHAREDGOALS, *args], env=cli_env.env, capture_output=True, text=True,
                                          timeout=120, check=True)
    assert "migrations applied" in cli_env("migrate").stdout
    assert "demo organisation loaded" in cli_env("seed-demo", "--if-empty").stdout
    assert "not loaded" in cli_env("seed-demo", "--if-empty").stdout
    token = script("create-token", "--person", "ada.admin@demo.sharedgoals.dev").stdout.strip().splitlines()[-1]
    with serving(cli_env, script=True) as port:
        body = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ viewer { name role } teams { name } }"},
                          headers={"Authorization": f"Bearer {token}"}).json()
    assert body["data"]["viewer"] == {"name": "Ada Admin", "role": "ADMIN"}
    assert len(body["data"]["teams"]) == 6


def test_make_serve_reuses_its_kept_token_while_it_is_valid(cli_env, tmp_path):
    import stat
    cli_env.seeded()
    kept = tmp_path / "var" / "make-serve.token"
    args = ("create-token", "--person", "ada.admin@demo.sharedgoals.dev", "--keep", str(kept))
    first = cli_env(*args).stdout.strip().splitlines()[-1]
    assert kept.read_text().strip() == first and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert cli_env(*args).stdout.strip().splitlines()[-1] == first
    other = cli_env("create-token", "--person", "sam.lead@demo.sharedgoals.dev", "--keep", str(kept))
    assert other.stdout.strip().splitlines()[-1] != first  # another person: a new token, kept instead
    kept.write_text("sg_not-a-token\n")
    renewed = cli_env(*args).stdout.strip().splitlines()[-1]
    assert renewed.startswith("sg_") and renewed != first and kept.read_text().strip() == renewed


def test_a_service_token_is_the_last_line(cli_env):
    cli_env.migrated()
    out = cli_env("create-token", "--role", "FINANCE", "--name", "finance export").stdout.strip().splitlines()
    assert out[-1].startswith("sg_") and "FINANCE" in out[0]


def test_create_token_needs_a_role_or_a_person(cli_env):
    cli_env.migrated()
    assert cli_env("create-token", check=False).returncode != 0
    unknown = cli_env("create-token", "--person", "nobody@example.com", check=False)
    assert unknown.returncode != 0 and "nobody@example.com" in unknown.stderr


def test_several_workers_on_sqlite_are_refused_with_a_pointer_to_postgresql(cli_env):
    done = cli_env("serve", "--workers", "2", check=False)
    assert done.returncode == 2 and "PostgreSQL" in done.stderr


def test_export_schema_prints_the_sdl(cli_env):
    assert cli_env("export-schema").stdout == export_sdl()


def test_backup_copies_the_database_while_it_serves(cli_env, tmp_path):
    import sqlite3
    cli_env.seeded()
    copy = tmp_path / "backup.sqlite3"
    with serving(cli_env):
        assert "backed up" in cli_env("backup", str(copy)).stdout
    db = sqlite3.connect(copy)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM team").fetchone()[0] == 6
    assert db.execute("SELECT COUNT(*) FROM objective").fetchone()[0] >= 4


def test_backup_refuses_postgresql_with_a_pointer_to_pg_dump(cli_env):
    env = dict(cli_env.env, DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    done = cli.run(["backup", "/tmp/x.sqlite3"], env=env, timeout=60)
    assert done.returncode == 1 and "pg_dump" in done.stderr


def test_rebuild_sla_rewrites_the_stored_sla_rows_from_the_facts(cli_env, tmp_path):
    import sqlite3
    cli_env.seeded()
    path = tmp_path / "cli.sqlite3"

    def rows():
        with contextlib.closing(sqlite3.connect(path)) as c:
            return c.execute("SELECT agreement_id, lead_id, handover_due_us, tz FROM sla_lead ORDER BY 1, 2").fetchall()
    kept = rows()
    assert len(kept) > 100  # the demo's generated history, kept current by its imports
    with contextlib.closing(sqlite3.connect(path)) as c, c:
        c.execute("DELETE FROM sla_lead WHERE lead_id % 2 = 0")
    assert len(rows()) < len(kept)
    assert f"{len(kept):,} rows" in cli_env("rebuild-sla").stdout
    assert rows() == kept


def test_rebuild_rollups_rewrites_the_credit_rollups_from_the_stored_rows(cli_env, tmp_path):
    import sqlite3
    cli_env.seeded()
    path = tmp_path / "cli.sqlite3"

    def rows():
        with contextlib.closing(sqlite3.connect(path)) as c:
            return c.execute("SELECT model_key, kind, figure, day, group_key, cents, deals FROM credit_rollup "
                             "WHERE cents != 0 OR deals != 0 ORDER BY 1, 2, 3, 4, 5").fetchall()
    kept = rows()
    assert len(kept) > 100  # the demo's history, kept current by its imports
    with contextlib.closing(sqlite3.connect(path)) as c, c:
        c.execute("UPDATE credit_rollup SET cents = cents + 1 WHERE kind = 'TEAM'")
    assert rows() != kept
    assert "credit rollups rebuilt" in cli_env("rebuild-rollups").stdout
    assert rows() == kept
