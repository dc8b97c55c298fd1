"""Installation-wide business settings, set once at start-up by the service (defaults match .env.example)."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class DomainConfig:
    fiscal_year_start_month: int = 1
    timezone: str = "UTC"
    currency: str = "USD"
    busy_timeout: float = 5.0  # seconds a writer waits for another writer's lock before Unavailable
    mappings_dir: str | None = None  # the admin's folder of CRM mappings (SHAREDGOALS_MAPPINGS_DIR)


_config = DomainConfig()


def configure(**changes) -> DomainConfig:
    global _config
    _config = replace(_config, **changes)
    return _config


def current() -> DomainConfig:
    return _config
