"""Fixtures of every test: the real app in process on SQLite or on the database TEST_DATABASE_URL names.

`api` gives each test a clean database (only the tables an earlier test wrote are emptied), the real clock and
default settings; `api.post`/`api.gql`/`api.http` go through the app's ASGI stack in process; `live_server` is the
same app on a loopback socket, for websockets, other processes, the browser and concurrent clients. See
tests/harness.py, and its `snapshot` for an organisation built once per module.
"""
from __future__ import annotations

import pytest

from domain import clock
from domain import config as domain_config
from tests.harness import TEST_DATABASE_URL, Api, Harness, LiveServer, truncate_all  # noqa: F401  (importable here)


@pytest.fixture(scope="session")
def harness():
    harness = Harness(TEST_DATABASE_URL)
    harness.start()
    yield harness
    harness.close()


@pytest.fixture(scope="session")
def live_server(harness) -> LiveServer:
    """The app served by uvicorn on 127.0.0.1 (started once, on first use): `base_url`, `url`, `settings`."""
    return harness.live()


@pytest.fixture
def api(harness):
    """A clean database, the real clock and default settings for every test."""
    harness.begin_test()
    saved = domain_config.current()
    yield Api(harness)
    clock.set_now(None)
    domain_config.configure(**saved.__dict__)


@pytest.fixture
def admin(api) -> str:
    """A service token with the ADMIN role."""
    return api.harness.admin_token()
