"""Settings from the environment (and `.env`); every one is listed in `.env.example`."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from starlette.config import Config

from schema.core.limits import GraphQLLimits

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "var" / "sharedgoals.sqlite3"
_LIMITS = GraphQLLimits()


@dataclass(frozen=True)
class Settings:
    database_url: str
    env: str
    fiscal_year_start_month: int
    timezone: str
    currency: str
    clock: datetime | None
    log_level: str
    max_depth: int = _LIMITS.max_depth
    max_aliases: int = _LIMITS.max_aliases
    max_tokens: int = _LIMITS.max_tokens
    max_cost: int = _LIMITS.max_cost
    max_batch: int = _LIMITS.max_batch
    max_body_bytes: int = 1_000_000
    max_import_bytes: int = 200_000_000  # the body of POST /import/{kind}
    body_timeout_seconds: int = 30  # the whole request body arrives within this, or 408
    import_body_timeout_seconds: int = 600  # the same for POST /import/{kind}
    rate_limit_per_minute: int = 100_000  # cost units a minute per token (or client address); 0 turns it off
    operation_timeout_seconds: float = 10.0  # a GraphQL operation's time budget
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API; none by default
    busy_timeout: float = 5.0  # seconds a write waits for the database's writer (or a lock) before UNAVAILABLE
    mappings_dir: str | None = None  # the admin's folder of CRM mappings (NAME.toml), besides the shipped ones

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def graphql_limits(self) -> GraphQLLimits:
        return GraphQLLimits(max_depth=self.max_depth, max_aliases=self.max_aliases, max_tokens=self.max_tokens,
                             max_cost=self.max_cost, max_batch=self.max_batch)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _parse_clock(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("SHAREDGOALS_CLOCK needs a zone offset, e.g. 2026-11-15T12:00:00+00:00")
    return parsed


_ORIGIN = re.compile(r"^https?://[^/\s?#]+$")


def _parse_origins(value: str) -> tuple[str, ...]:
    """`SHAREDGOALS_CORS_ORIGINS`: origins separated by commas or spaces, each exactly as a browser sends it
    (scheme, host and any port; no path, no trailing slash), or `*` for any origin."""
    origins = tuple(o for o in re.split(r"[,\s]+", value.strip()) if o)
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ValueError(f"SHAREDGOALS_CORS_ORIGINS: {origin!r} is not an origin such as https://app.example.com "
                             "or http://127.0.0.1:5173 (scheme, host and port only, no trailing slash)")
    return origins


def _limit(config: Config, name: str, default: int, minimum: int = 1) -> int:
    value = config(name, cast=int, default=default)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


def _budget(config: Config, max_cost: int) -> int:
    """Cost units a minute per token: 0 (off) or at least the cost one operation may have, so that every operation
    the cost limit lets through can be afforded once the budget is full."""
    value = _limit(config, "SHAREDGOALS_RATE_LIMIT_PER_MINUTE", Settings.rate_limit_per_minute, minimum=0)
    if 0 < value < max_cost:
        raise ValueError(f"SHAREDGOALS_RATE_LIMIT_PER_MINUTE must be 0 (off) or at least SHAREDGOALS_MAX_COST "
                         f"({max_cost})")
    return value


def load_settings(env_file: str | os.PathLike | None = None) -> Settings:
    config = Config(env_file if env_file is not None else (ROOT / ".env" if (ROOT / ".env").exists() else None))
    env = config("SHAREDGOALS_ENV", default="development")
    if env not in ("development", "production"):
        raise ValueError("SHAREDGOALS_ENV must be 'development' or 'production'")
    month = config("SHAREDGOALS_FISCAL_YEAR_START_MONTH", cast=int, default=1)
    if not 1 <= month <= 12:
        raise ValueError("SHAREDGOALS_FISCAL_YEAR_START_MONTH must be between 1 and 12")
    max_cost = _limit(config, "SHAREDGOALS_MAX_COST", Settings.max_cost)
    return Settings(
        database_url=config("DATABASE_URL", default=f"sqlite://{DEFAULT_SQLITE_PATH}"),
        env=env,
        fiscal_year_start_month=month,
        timezone=config("SHAREDGOALS_TIMEZONE", default="UTC"),
        currency=config("SHAREDGOALS_CURRENCY", default="USD"),
        clock=_parse_clock(config("SHAREDGOALS_CLOCK", default="")),
        log_level=config("SHAREDGOALS_LOG_LEVEL", default="INFO"),
        max_depth=_limit(config, "SHAREDGOALS_MAX_DEPTH", Settings.max_depth),
        max_aliases=_limit(config, "SHAREDGOALS_MAX_ALIASES", Settings.max_aliases),
        max_tokens=_limit(config, "SHAREDGOALS_MAX_TOKENS", Settings.max_tokens),
        max_cost=max_cost,
        max_batch=_limit(config, "SHAREDGOALS_MAX_BATCH", Settings.max_batch),
        max_body_bytes=_limit(config, "SHAREDGOALS_MAX_BODY_BYTES", Settings.max_body_bytes),
        max_import_bytes=_limit(config, "SHAREDGOALS_MAX_IMPORT_BYTES", Settings.max_import_bytes),
        body_timeout_seconds=_limit(config, "SHAREDGOALS_BODY_TIMEOUT_SECONDS", Settings.body_timeout_seconds),
        import_body_timeout_seconds=_limit(config, "SHAREDGOALS_IMPORT_BODY_TIMEOUT_SECONDS",
                                           Settings.import_body_timeout_seconds),
        rate_limit_per_minute=_budget(config, max_cost),
        operation_timeout_seconds=_seconds(config, "SHAREDGOALS_OPERATION_TIMEOUT_SECONDS",
                                           Settings.operation_timeout_seconds),
        cors_origins=_parse_origins(config("SHAREDGOALS_CORS_ORIGINS", default="")),
        busy_timeout=_seconds(config, "SHAREDGOALS_BUSY_TIMEOUT", Settings.busy_timeout),
        mappings_dir=config("SHAREDGOALS_MAPPINGS_DIR", default="") or None,
    )


def _seconds(config: Config, name: str, default: float) -> float:
    value = config(name, cast=float, default=default)
    if not 0 < value <= 600:
        raise ValueError(f"{name} is a number of seconds above 0 and at most 600")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
