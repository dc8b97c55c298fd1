"""The test harness itself: the clean-up between tests and snapshots leave exactly the rows and ids they promise."""
from datetime import datetime, timezone

import httpx
import pytest

from domain import clock
from domain.audit.models import AuditEntry
from domain.org.models import ApiToken, Team
from tests.api.support import create_team

TEAMS = "{ teams { id name } }"


def _teams(api, token):
    return api.gql(TEAMS, token=token)["teams"]


def _next_test(api):
    """What the `api` fixture does before the next test."""
    api.harness.begin_test()


def test_the_clean_up_empties_what_a_test_wrote_and_starts_the_ids_again(api, admin):
    first = create_team(api, admin, "Field Sales", "SALES")
    create_team(api, admin, "Demand Generation", "MARKETING")
    assert api.run(Team.all().count()) == 2
    _next_test(api)
    assert api.run(Team.all().count()) == 0 and api.run(AuditEntry.all().count()) == 0
    assert api.run(ApiToken.all().count()) == 0
    admin = api.harness.admin_token()
    assert create_team(api, admin, "Pod", "SALES") == first  # the same id as the first team of the last test


def test_a_restored_snapshot_has_its_rows_ids_and_clock_as_they_were(api, admin):
    moment = datetime(2026, 11, 16, tzinfo=timezone.utc)

    def build():
        api.set_now(moment)
        return {"sales": create_team(api, admin, "Field Sales", "SALES"),
                "marketing": create_team(api, admin, "Demand Generation", "MARKETING")}

    key = f"{__name__}.restored"
    built = api.snapshot(key, build)
    teams = _teams(api, admin)
    create_team(api, admin, "Pod", "SALES")
    api.run(Team.filter(name="Field Sales").delete())
    _next_test(api)
    clock.set_now(None)
    restored = api.snapshot(key, lambda: pytest.fail("a snapshot is built once"))
    assert restored == built and _teams(api, admin) == teams
    assert clock.now() == moment
    pod = create_team(api, admin, "Pod", "SALES")
    _next_test(api)
    api.snapshot(key, build)
    assert create_team(api, admin, "Pod", "SALES") == pod  # ids go on from where the snapshot left them


def test_rows_written_before_a_snapshot_is_restored_are_refused(api, admin):
    key = f"{__name__}.refused"
    api.snapshot(key, lambda: create_team(api, admin, "Field Sales", "SALES"))
    _next_test(api)
    admin = api.harness.admin_token()  # the admin fixture's token may come first
    create_team(api, admin, "Written too early", "SALES")
    with pytest.raises(RuntimeError, match=r"\['team'\]"):
        api.snapshot(key, lambda: None)


def test_clients_of_a_tests_own_reach_the_same_app_at_api_http_base_url(api, admin):
    create_team(api, admin, "Field Sales", "SALES")
    with httpx.Client(base_url=api.http.base_url, timeout=60) as client:  # a real socket: the live server
        response = client.post("/graphql", json={"query": TEAMS}, headers={"Authorization": f"Bearer {admin}"})
    assert response.json()["data"]["teams"] == _teams(api, admin)


def test_a_test_that_changes_a_snapshots_value_changes_only_its_own_copy(api, admin):
    key = f"{__name__}.value"
    first = api.snapshot(key, lambda: {"count": 0})
    first["count"] += 5
    _next_test(api)
    assert api.snapshot(key, lambda: None) == {"count": 0}


def test_no_test_module_imports_from_another_test_module():
    """Helpers that several test modules use live in fixtures or support modules (tests/api/fixtures.py,
    *_support.py), never in a test module that others import."""
    import ast
    from pathlib import Path
    tests = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted(tests.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if isinstance(node, ast.ImportFrom) and node.level:  # from .test_x import y
                names = [node.module or ""]
            found += [f"{path.relative_to(tests)}: {name}" for name in names
                      if name.rsplit(".", 1)[-1].startswith("test_")]
    assert found == []


def test_a_forked_command_runs_as_a_process_of_its_own(tmp_path):
    """tests/api/cli_support.py: the command's own environment, folder, stdout, stderr and exit status."""
    from tests.api import cli_support as cli
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
           "SHAREDGOALS_LOG_LEVEL": "WARNING"}
    done = cli.run(["backup", "copy.sqlite3"], env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "") and "pg_dump" in done.stderr
    done = cli.run(["create-token", "--role", "NOBODY"], env=env)
    assert done.returncode == 2 and "invalid choice: 'NOBODY'" in done.stderr and "usage: sharedgoals" in done.stderr
    written = cli.run(["export-schema", "--output", "schema.graphql"], env=env, cwd=tmp_path)
    assert written.returncode == 0 and (tmp_path / "schema.graphql").read_text().strip()
