"""Set-up for the CRM import tests: the fixture files, a user's mapping folder, posting an export, counting rows."""
from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import Tortoise

from domain import config as domain_config
from domain.imports.crm.service import SHIPPED

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "crm"
SOFIA_SF_ID = "005Hp00000SofiaIAB"  # 005Hp00000Sofia, the owner id in the Salesforce fixtures, in its 18-char form


def salesforce_mapping(owner_email: str, extra: str = "") -> str:
    """The shipped Salesforce mapping with an [owners] table naming one user, as an admin would write their own."""
    text = (SHIPPED / "salesforce.toml").read_text()
    return text.replace("\n[owners]", f'\n[owners]\n"{SOFIA_SF_ID}" = "{owner_email}"\n{extra}', 1)


@pytest.fixture
def mappings_dir(tmp_path):
    """An admin's folder of mappings (SHAREDGOALS_MAPPINGS_DIR) holding `acme-sf`: Salesforce with Sofia's id."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "acme-sf.toml").write_text(salesforce_mapping("seller@example.com"))
    before = domain_config.current().mappings_dir
    domain_config.configure(mappings_dir=str(folder))
    yield folder
    domain_config.configure(mappings_dir=before)


def post_export(api, object_name: str, source: str, body: bytes, token: str | None, **params):
    headers = {"Content-Type": "text/csv"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    query = {"source": source, **{k: ("true" if v is True else v) for k, v in params.items()}}
    return api.http.post(f"/import/{object_name}", content=body, headers=headers, params=query)


def post_native(api, kind: str, body: str, token: str, **params):
    return api.http.post(f"/import/{kind}", content=body.encode(), params=params,
                         headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"})


def fixture(vendor: str, name: str) -> bytes:
    return (FIXTURES / vendor / name).read_bytes()


def table_counts(api) -> dict[str, int]:
    """Rows of every table of the service."""
    async def count():
        found = {}
        for model in Tortoise.apps["models"].values():
            found[model._meta.db_table] = await model.all().count()
        return found
    return api.run(count())
