"""Database wiring: the Tortoise config, start-up and shutdown, migrations, SQLite pragmas."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as tortoise_migrate

from api.settings import ROOT, get_settings

log = logging.getLogger("sharedgoals.db")

# Every area's models live in one Tortoise app, "models", whose migrations are the `migrations` package.
MODEL_MODULES = [
    "domain.org.models",
    "domain.audit.models",
    "domain.goals.models",
    "domain.leads.models",
    "domain.attribution.models",
    "domain.comp.models",
]


def normalise_url(url: str) -> str:
    """Resolve a relative SQLite path against the project root and make sure its folder exists."""
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        path = Path(url[len("sqlite://"):])
        if not path.is_absolute():
            path = ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite://{path}"
    return url


def tortoise_config(url: str | None = None) -> dict[str, Any]:
    url = normalise_url(url or get_settings().database_url)
    return {
        "connections": {"default": url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads `api.db.TORTOISE_ORM` (see [tool.tortoise] in pyproject.toml).
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)


def is_sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


# Tortoise opens SQLite in WAL mode with foreign keys on (its defaults); a test checks both.
async def init_db(url: str | None = None) -> None:
    # The global fallback lets request tasks use the connections opened in the lifespan task.
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(url: str | None = None, progress=None) -> None:
    """Apply pending migrations (idempotent)."""
    config = tortoise_config(url)
    await tortoise_migrate(config=config, progress=progress)
    await Tortoise.close_connections()
