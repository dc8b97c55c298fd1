"""Writers of the same leads, one after the other.

A lead's derived rows (its facts, MQL events, stored SLA rows `sla_lead`, its deals' stored credits `deal_credit`)
are recomputed from its raw rows in the transaction that changed them (`domain.leads.facts.refresh_leads`). Two
such transactions at once on PostgreSQL (READ COMMITTED) each read the raw rows without the other's, so the last
to commit leaves derived rows that miss the other's change; two imports of the same external ids each see the
other's rows as absent, and one's rows were silently dropped by ON CONFLICT DO NOTHING.

So every writer takes transaction-scoped advisory locks first (`pg_advisory_xact_lock`: released at commit or
rollback; the pool's reset query is empty, so a session lock would outlive its request):

- a writer of many leads (an import of any kind, a new SLA agreement, a model of record's rows, a rebuild) takes
  the lead-writes lock exclusively: such writers run one at a time, and alone;
- a writer of a few leads (leadTransition, leadAssign) takes it shared, then each of its leads exclusively (in id
  order, so two never wait for each other): writers of different leads run side by side.

The wait is bounded by the busy timeout (Unavailable past it), unless the caller chose to wait for as long as it
takes (the command-line import). SQLite needs none of this: a transaction begins with `BEGIN IMMEDIATE`, so it
holds the database's one write lock from its first statement (see api/sqlite_client.py).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from tortoise import connections
from tortoise.transactions import in_transaction

from domain import config
from domain.availability import BUSY_RETRY_AFTER, Unavailable, unavailable_cause

LEAD_WRITES = 0x53470001  # advisory lock keys: (LEAD_WRITES, 0) for all leads, (ONE_LEAD, id) for one
ONE_LEAD = 0x53470002


def _db(connection):
    return connection if connection is not None else connections.get("default")


async def _bounded(db, statements: list[tuple[str, list]], what: str) -> None:
    """The statements, each waiting for its lock at most the busy timeout (lock_timeout, for this transaction)."""
    timeout_ms = max(1, int(config.current().busy_timeout * 1000))
    await db.execute_query(f"SELECT set_config('lock_timeout', '{timeout_ms}ms', true)")
    try:
        for sql, values in statements:
            await db.execute_query(sql, values)
    except Exception as exc:
        if unavailable_cause(exc) is None:
            raise
        raise Unavailable(f"{what} is under way; try again shortly (waited {timeout_ms / 1000:g} s).",
                          BUSY_RETRY_AFTER) from exc
    await db.execute_query("SET LOCAL lock_timeout TO DEFAULT")  # the server's own setting for the rest


async def lock_all_leads(connection=None, *, on_wait: Callable[[], None] | None = None,
                         what: str = "Another import or bulk change of leads") -> None:
    """Call first in a transaction that writes many leads' rows. With `on_wait`, wait for as long as it takes
    (calling `on_wait()` once if another writer holds the lock); without it, at most the busy timeout."""
    db = _db(connection)
    if db.capabilities.dialect == "sqlite":
        return
    if on_wait is None:
        await _bounded(db, [("SELECT pg_advisory_xact_lock($1, 0)", [LEAD_WRITES])], what)
        return
    _, rows = await db.execute_query("SELECT pg_try_advisory_xact_lock($1, 0) AS got", [LEAD_WRITES])
    if not rows[0]["got"]:
        on_wait()
        await db.execute_query("SELECT pg_advisory_xact_lock($1, 0)", [LEAD_WRITES])


async def lock_leads(lead_ids: Iterable[int], connection=None) -> None:
    """Call first in a transaction that writes a few leads' rows."""
    db = _db(connection)
    if db.capabilities.dialect == "sqlite":
        return
    ids = sorted({int(i) for i in lead_ids})
    statements = [("SELECT pg_advisory_xact_lock_shared($1, 0)", [LEAD_WRITES])]
    if ids:
        statements.append(("SELECT count(pg_advisory_xact_lock($1, l.id)) FROM "
                           "(SELECT id FROM unnest($2::int[]) AS id ORDER BY id OFFSET 0) AS l", [ONE_LEAD, ids]))
    await _bounded(db, statements, "An import or another change of this lead")


@contextlib.asynccontextmanager
async def bulk_lead_transaction(on_wait: Callable[[], None] | None = None,
                                what: str = "Another import or bulk change of leads"):
    """A transaction for a writer of many leads, holding the lead-writes lock (PostgreSQL) or SQLite's write lock
    from its start. Waited for at most the busy timeout, or, with `on_wait`, as long as it takes."""
    waited = False
    while True:
        context = in_transaction()
        try:
            connection = await context.__aenter__()
        except Unavailable as busy:  # SQLite: another process's writer held the lock past the busy timeout
            if on_wait is None or not busy.busy:
                raise
            if not waited:
                on_wait()
                waited = True
            continue
        break
    try:
        await lock_all_leads(connection, on_wait=None if on_wait is None else (lambda: None if waited else on_wait()),
                             what=what)
        yield connection
    except BaseException as exc:
        if not await context.__aexit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        await context.__aexit__(None, None, None)
