"""The forecast's DataLoader batch functions: each request learns one win model and reads the open deals once for
every key result and opportunity it asks about."""
from __future__ import annotations

from domain.forecast import queries


async def key_result_forecasts(ids):
    """Key result id -> its Forecast as of now (None unless a METRIC key result on a forecast figure of a period not
    yet closed)."""
    return await queries.key_result_forecasts(ids)


async def win_chances(ids):
    """Opportunity id -> its WinChance within the current period (None for a closed deal or an unknown id)."""
    return await queries.win_chances(ids)
