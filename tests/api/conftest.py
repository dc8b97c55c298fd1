"""The shared fixtures of tests/api/fixtures.py, for every API test module."""
from tests.api.fixtures import cli_env, contribution_org, reports_org  # noqa: F401  (fixtures)
