"""Importing records: checked in batches, written set-based in one transaction, all or nothing, one import at a
time (domain.locks.bulk_lead_transaction), so two imports of the same records give what the one after the other
would, with truthful counts.

Per batch: one query for the leads the rows name (events, touchpoints, opportunities), one for the external ids
already stored, one multi-row `INSERT` for the new rows (a record the file gave before with other content is
refused); a changed lead or opportunity is updated and audited row by row (rare). After the last batch, in the
same transaction: one statement gives each new lead its (empty) facts row, and the facts of every lead whose
events, touchpoints or profile changed are recomputed; the credit of every opportunity created or changed is
brought up to date. A file with a bad row imports nothing unless `skip_bad`: then good rows import and bad ones
are reported.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, BinaryIO

from domain import bulk
from domain.audit.service import record
from domain.availability import Unavailable
from domain.errors import invalid
from domain.goals.live import publish_metric_key_results
from domain.imports.formats import Record, read_records
from domain.imports.kinds import KINDS, OPPORTUNITY_SPLITS, Kind
from domain.imports.splits import import_splits
from domain.access.rules import LeadOwnership, enforce, import_refusal
from domain.imports.ownership import ROW_REFUSALS, Owners
from domain.imports.rules import PersonRef, Refs, RowRefused, lead_key, repeated_in_file
from domain.locks import bulk_lead_transaction
from domain.attribution import driven_store
from domain.attribution import rollups
from domain.attribution.stored import fold_later, refresh_deals
from domain.leads.facts import refresh_leads, refresh_touched_leads
from domain.rawsql import as_utc, sqlite_time_text
from domain.org.models import Person, Team
from domain.org.rules import Principal, TeamFunction
from domain.comp import clawbacks

log = logging.getLogger("sharedgoals.imports")

MAX_ERRORS = 1000             # line errors kept in a result; the rest are counted
MAX_ROWS_PER_BATCH = 5000


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0      # all refused rows; `errors` holds the first MAX_ERRORS
    imported: bool = False    # False: nothing was written
    rows: int = 0             # records read
    dry_run: bool = False     # checked and counted, then rolled back: the counts say what an import would do

    @property
    def more_errors(self) -> int:
        return self.error_count - len(self.errors)

    def refuse(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(LineError(line, reason))

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "errors": [{"line": e.line, "reason": e.reason} for e in self.errors],
                "errorCount": self.error_count, "moreErrors": self.more_errors, "imported": self.imported,
                "dryRun": self.dry_run}


class _RollBack(Exception):
    pass


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise invalid(f"'{name}' is not a kind of import: one of {', '.join(KINDS)}", "kind") from None


def batch_size(kind: Kind) -> int:
    """Rows a batch holds: one multi-row statement (SQLite) or one COPY (PostgreSQL) writes a whole batch."""
    return max(1, min(MAX_ROWS_PER_BATCH, bulk.MAX_PARAMETERS // len(kind.columns)))


async def import_file(kind_name: str, stream: BinaryIO, fmt: str, *, actor: Principal, skip_bad: bool = False,
                      progress: Callable[[int], None] | None = None,
                      on_wait: Callable[[], None] | None = None, dry_run: bool = False) -> ImportResult:
    """Import a CSV or NDJSON stream (read in batches, never whole)."""
    kind = kind_named(kind_name)
    return await import_records(kind.name, read_records(stream, fmt, kind.required, kind.optional),
                                skip_bad=skip_bad, actor=actor, progress=progress, on_wait=on_wait, dry_run=dry_run)


async def import_records(kind_name: str, records: Iterable[Record], *, actor: Principal, skip_bad: bool = False,
                         progress: Callable[[int], None] | None = None,
                         on_wait: Callable[[], None] | None = None, dry_run: bool = False) -> ImportResult:
    """Import records of one kind in one transaction; `progress(rows read so far)` is called after each batch.
    Who may import the kind is checked first (FORBIDDEN), then each row's ownership with its other checks.

    Imports run one at a time (with any other writer of many leads: see domain.locks), so two imports of the
    same records give what the one after the other would. Another import under way is waited for at most the
    busy timeout (then Unavailable), or, with `on_wait`, for as long as it takes (`on_wait()` is called once when
    the wait begins). `dry_run`: see import_kinds."""
    results = await import_kinds([(kind_name, records)], actor=actor, skip_bad=skip_bad, progress=progress,
                                 on_wait=on_wait, dry_run=dry_run)
    return results[0]


async def import_kinds(parts: Sequence[tuple[str, Iterable[Record]]], *, actor: Principal, skip_bad: bool = False,
                       progress: Callable[[int], None] | None = None, on_wait: Callable[[], None] | None = None,
                       dry_run: bool = False,
                       before: Callable[[Any], Awaitable[None]] | None = None) -> list[ImportResult]:
    """Import records of several kinds (in the order given: leads before the events that name them) in one
    transaction, all or nothing across the kinds: a bad row of any kind imports nothing unless `skip_bad`. One
    result per kind. `before(connection)` runs first in the same transaction (the CRM mappings' own rows).

    `dry_run` does all of it, the checks and the counts of what would be created, updated and left unchanged
    included, then rolls the transaction back: nothing is written (results say `dry_run`, `imported` is False)."""
    kinds = [kind_named(name) for name, _ in parts]
    for kind in kinds:
        enforce(import_refusal(actor, kind.name), "kind")
    results = [ImportResult(kind=kind.name, dry_run=dry_run) for kind in kinds]
    reader = bulk.committed_reader()
    try:
        async with bulk_lead_transaction(on_wait=on_wait) as connection, bulk.fewer_collections():
            with rollups.deferring() as deferral:  # many deals' rollup sums: after the commit (fold_later)
                if before is not None:
                    await before(connection)
                for n, (kind, (_, records), result) in enumerate(zip(kinds, parts, results)):
                    run = _Run(kind, connection, result, actor)
                    if n == 0 and before is None:  # nothing written yet that its look-ups read (_Run.reader)
                        run.reader = reader
                    await run.mark_start()
                    await run.load_refs()
                    if kind.name == OPPORTUNITY_SPLITS.name:  # checked per deal, a deal's rows together
                        await import_splits(run, records, progress)
                    else:
                        await _pipeline(run, records, progress)
                    if result.error_count and not skip_bad and not dry_run:
                        raise _RollBack
                    await run.finish()
                    if result.created or result.updated:
                        await record(actor, "import", "Import", kind.name, None,
                                     {"created": result.created, "updated": result.updated,
                                      "unchanged": result.unchanged, "refused": result.error_count})
                if dry_run or (not skip_bad and any(r.error_count for r in results)):
                    raise _RollBack
    except _RollBack:
        for result in results:
            if not dry_run:
                result.created = result.updated = result.unchanged = 0
            result.imported = False
        return results
    for result in results:
        result.imported = True
    if deferral.deals:
        fold_later(deferral)
    if any(r.created or r.updated for r in results):
        await _after_commit()
    return results


async def _after_commit() -> None:
    """Once the import is committed (outside its transaction; in-transaction work is `_REFRESH_WRITTEN`'s): live
    updates. Any kind can move a METRIC key result (leads and their events the lead metrics, touches and deals the
    deal metrics), so each live one of the open periods is announced once. The import stands if this fails."""
    try:
        await publish_metric_key_results()
    except Exception:
        log.exception("live updates after an import could not be published")
    try:  # the stored data-driven periods the import made stale, so that the next read finds them fresh
        await driven_store.refresh_stale()
    except Exception:
        log.exception("stale data-driven periods could not be recomputed after an import (the next read will)")


async def _pipeline(run: "_Run", records: Iterable[Record], progress: Callable[[int], None] | None) -> None:
    """Batches in file order: a batch is written only after the one before it, so a record repeated across
    batches is compared with what was stored for it. The next batch is read, looked up and checked while the
    database writes the last one, its look-ups on a connection of their own where there is one (`_Run.reader`);
    else they wait for the write (a connection takes one statement at a time) and only the reading overlaps it."""
    iterator = iter(records)
    size = batch_size(run.kind)
    writing: asyncio.Future | None = None
    try:
        batch = await _take(iterator, size)
        parsed, fatal = await run.prepare(batch) if batch else ([], False)
        while batch:
            run.result.rows += len(batch)
            if progress:
                progress(run.result.rows)
            if fatal:
                raise _RollBack
            if parsed:
                writing = asyncio.ensure_future(run.write(parsed))
                await asyncio.sleep(0)  # let it send its first statement before this task reads on
            batch = await _take(iterator, size)
            parsed, fatal = await run.prepare(batch) if batch else ([], False)
            if writing is not None:
                await writing
                writing = None
    finally:
        if writing is not None:  # leaving early: the transaction must not end under a running write
            writing.cancel()
            with contextlib.suppress(BaseException):
                await writing


DERIVED_TABLES = ("lead_fact", "deal_credit", "sla_lead")  # rewritten by the refresh after an import
ANALYZE_AFTER = 5000  # rows created by an import after which PostgreSQL's statistics of its table are renewed
YIELD_EVERY = 500  # records read or checked between two chances for a write in flight to go on


async def _take(iterator, size: int) -> list[Record]:
    """The next `size` records, read YIELD_EVERY at a time with a pause between, so a write in flight can go on."""
    batch: list[Record] = []
    while len(batch) < size:
        part = list(itertools.islice(iterator, min(YIELD_EVERY, size - len(batch))))
        batch.extend(part)
        if len(batch) >= size or len(part) < YIELD_EVERY:
            break
        await asyncio.sleep(0)
    return batch


# --- one import's work --------------------------------------------------------------------

@lru_cache(maxsize=64)
def _values_sql(dialect: str, rows: int, columns: int) -> str:
    if dialect == "sqlite":
        return bulk.sqlite_marks(rows, columns)
    return ",".join("(" + ",".join(f"${r * columns + c + 1}" for c in range(columns)) + ")" for r in range(rows))


def _in_list(dialect: str, values: list) -> tuple[str, list]:
    """`IN (…)` of the values, and its parameters. PostgreSQL gets one array (`= ANY($1)`): it plans a list of
    thousands of parameters slowly."""
    if dialect == "sqlite":
        return f"IN {_values_sql(dialect, 1, len(values))}", values
    return "= ANY($1::text[])", [values]


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# Kinds whose created or changed records have derived rows to bring up to date once all batches are in: a deal's
# stored credit rows (touchpoint and lead-event imports reach theirs through refresh_leads).
async def _deals_written(ids: list[int]) -> None:
    """A deal's stored credit rows, then the clawbacks of locked pay it changed (domain/comp/clawbacks.py)."""
    await refresh_deals(ids)
    await clawbacks.deals_changed(ids)


_REFRESH_WRITTEN: dict[str, Callable[[list[int]], Any]] = {"opportunities": _deals_written}


Parsed = tuple[int, tuple, tuple]  # a good row: its line, its column values, the record's values they come from


class _Run:
    def __init__(self, kind: Kind, connection, result: ImportResult, actor: Principal) -> None:
        self.kind = kind
        self.db = connection
        self.dialect = connection.capabilities.dialect
        self.result = result
        self.actor = actor
        self.importer = actor.name
        self.refs = Refs(people={}, teams={}, leads={})
        # the ownership rule of each row (an admin may import every row: nothing to ask)
        self.row_refusal = None if actor.is_admin else ROW_REFUSALS.get(kind.name)
        self.owners = Owners(team_of_person={}, function_of_team={})
        self.affected_leads: set[int] = set()
        self.written: set[int] = set()  # ids of records created or changed, for kinds whose derived rows follow them
        self.last_id_before = 0
        self.stored_up_to = 0  # SQLite: the table's last id before the next batch's insert (see write)
        # Where the look-ups of a batch's references go: a connection of their own that reads what is committed
        # (so the next batch is checked while this transaction writes the last one: _pipeline), when the caller
        # gives one, which it may only when this transaction wrote none of what they read; else the transaction's.
        self.reader = None
        self.all_new_so_far = True  # SQLite: no batch met stored rows yet (see write)
        self.met = bytearray()  # a bit for each record stored before the import that a line of the file gave
        self.tracks_written = kind.name in _REFRESH_WRITTEN
        compared = [i for i, c in enumerate(kind.columns) if c not in kind.ignored_in_comparison]
        self.compared = compared
        self.time_columns = [i for i, t in enumerate(kind.pg_types) if t == "timestamptz"]
        # each time column's position, and its key's position in a record's values (the text it is read from)
        self.time_keys = [(i, kind.keys.index(kind.columns[i])) for i in self.time_columns
                          if kind.columns[i] in kind.keys]

    async def load_refs(self) -> None:
        if self.kind.name == "leads":
            return
        people = await Person.all().values_list("email", "id", "name", "active", "team_id")
        self.refs.people = {email: PersonRef(pid, name, bool(active), team_id)
                            for email, pid, name, active, team_id in people}
        teams = await Team.all().values_list("name", "id", "function")
        by_name = {name.lower(): tid for name, tid, _ in teams}
        by_name.update({name: tid for name, tid, _ in teams})
        self.refs.teams = by_name
        self.owners = Owners(team_of_person={pid: team_id for _, pid, _, _, team_id in people},
                             function_of_team={tid: TeamFunction(f) for _, tid, f in teams})

    async def _select(self, sql: str, values: list, connection=None) -> list:
        _, rows = await (connection or self.db).execute_query(sql, values)
        return rows

    async def prepare(self, batch: list[Record]) -> tuple[list[Parsed], bool]:
        """Check one batch: its good rows, and whether the file cannot be read on."""
        kind, result = self.kind, self.result
        if kind.names_leads:
            at = kind.keys.index("lead_external_id")
            await self._load_leads({k for r in batch if r.values is not None and (k := lead_key(r.values[at]))})
            if self.row_refusal is not None and kind.name == "lead-events":
                await self._load_owners(self.refs.leads.values())
        parsed: list[Parsed] = []
        parse, refs, importer = kind.parse, self.refs, self.importer
        row_refusal, actor, owners = self.row_refusal, self.actor, self.owners
        for n, rec in enumerate(batch, start=1):
            if n % YIELD_EVERY == 0:  # a write in flight goes on
                await asyncio.sleep(0)
            if rec.values is None:
                result.refuse(rec.line, rec.problem or "not readable")
                if rec.fatal:
                    return parsed, True
                continue
            try:
                values = parse(rec.values, refs, importer)
            except RowRefused as refused:
                result.refuse(rec.line, str(refused))
                continue
            if row_refusal is not None and (refusal := row_refusal(actor, values, owners)) is not None:
                result.refuse(rec.line, f"refused: {refusal}")
                continue
            parsed.append((rec.line, values, rec.values))
        return parsed, False

    async def _load_leads(self, keys: set[str]) -> None:
        if not keys:
            self.refs.leads = {}
            return
        keys_list = sorted(keys)
        condition, params = _in_list(self.dialect, keys_list)
        rows = await self._select(f'SELECT "external_id", "id" FROM "lead" WHERE "external_id" {condition}', params,
                                  self.reader)
        self.refs.leads = {r[0]: r[1] for r in rows}

    async def _load_owners(self, lead_ids) -> None:
        """The owner and stage now of the batch's leads not yet seen by this import (for the lead rules)."""
        ids = sorted(set(lead_ids) - set(self.owners.leads))
        for start in range(0, len(ids), 1000):
            part = ids[start:start + 1000]
            rows = await self._select(
                f'SELECT "lead_id", "owner_person_id", "stage" FROM "lead_fact" WHERE "lead_id" IN '
                f'({",".join(str(int(i)) for i in part)})', [], self.reader)
            for lead_id, owner_id, stage in rows:
                self.owners.leads[lead_id] = LeadOwnership.at_stage(
                    owner_id, self.owners.team_of_person.get(owner_id) if owner_id is not None else None, stage)

    async def _existing(self, external_ids: list[str], up_to: int | None = None) -> dict[str, tuple[int, tuple]]:
        """The stored rows of these external ids (only those of ids up to `up_to` when given: stored before)."""
        kind = self.kind
        condition, params = _in_list(self.dialect, external_ids)
        bound = "" if up_to is None else f' AND "id" <= {int(up_to)}'
        rows = await self._select(
            f'SELECT "id", {_quoted(kind.columns)} FROM "{kind.table}" WHERE "external_id" {condition}{bound}',
            params)
        found = {}
        for r in rows:
            values = list(r)[1:]
            for i in self.time_columns:
                values[i] = as_utc(values[i])
            found[values[0]] = (r[0], tuple(values))
        return found

    def _differences(self, stored: tuple, new: tuple) -> list[str]:
        return [self.kind.key(self.kind.columns[i]) for i in self.compared if stored[i] != new[i]]

    def _refuse_changed_fact(self, line: int, external_id: str, changed: list[str]) -> None:
        self.result.refuse(line, f"external_id '{external_id}' was imported before with other content (differs in "
                                 f"{', '.join(changed)}): a {self.kind.noun} is a fact and is never edited")

    async def mark_start(self) -> None:
        """Note the table's last id before this import writes: a stored row above it was created by an earlier
        line of the same file (imports run one at a time, and only imports add these rows); one below it, by its
        bit in `met` (an eighth of a byte a stored record, where a set of ids would take some 60 bytes)."""
        rows = await self._select(f'SELECT MAX("id") FROM "{self.kind.table}"', [])
        self.last_id_before = self.stored_up_to = (rows[0][0] if rows else None) or 0
        self.met = bytearray((self.last_id_before >> 3) + 1)

    def _given_before(self, pk: int) -> bool:
        """Whether an earlier line of the file gave this stored record; marks it given from now on."""
        if pk > self.last_id_before:
            return True
        byte, bit = pk >> 3, 1 << (pk & 7)
        if self.met[byte] & bit:
            return True
        self.met[byte] |= bit
        return False

    async def write(self, parsed: list[Parsed]) -> None:
        """Compare the batch with what is stored under its external ids, then insert the new rows at once. On SQLite
        the batch's rows are inserted first (ON CONFLICT DO NOTHING), and only when some were there already are the
        stored ones read and compared: a first import of a file is then one statement a batch, not two. Once a
        batch met stored rows (a file sent again), the next ones are read first, as on PostgreSQL."""
        kind, result = self.kind, self.result
        inserted = False
        if self.dialect == "sqlite" and self.all_new_so_far:
            once: dict[str, tuple[tuple, tuple]] = {}  # each external id's first row, in the order of the file
            for _, values, given in parsed:
                once.setdefault(values[0], (values, given))
            first = list(once.values())
            stored_up_to = self.stored_up_to
            written = await self._insert_sqlite(first)
            inserted = True
            if written:  # the next batch's (read now, not before its insert: see _pipeline)
                after = await self._select(f'SELECT MAX("id") FROM "{kind.table}"', [])
                self.stored_up_to = (after[0][0] if after else None) or 0
            self.all_new_so_far = written == len(first)
            if self.all_new_so_far and len(first) == len(parsed):  # all new, none repeated: nothing to compare
                await self._inserted([values for values, _ in first], written)
                return
            existing = {} if self.all_new_so_far else await self._existing(
                sorted({values[0] for values, _ in first}), stored_up_to)
        else:
            existing = await self._existing(sorted({values[0] for _, values, _ in parsed}))
        new: dict[str, Parsed] = {}
        for line, values, given in parsed:
            external_id = values[0]
            if external_id in new:  # repeated within the batch
                earlier_line, earlier, _ = new[external_id]
                self._repeated(line, external_id, earlier, values, earlier_line)
                continue
            if external_id not in existing:
                new[external_id] = (line, values, given)
                continue
            pk, stored = existing[external_id]
            if self._given_before(pk):  # repeated: an earlier line left the stored record as `stored`
                self._repeated(line, external_id, stored, values, None)
                continue
            changed = self._differences(stored, values)
            if not changed:
                result.unchanged += 1
            elif not kind.mutable:
                self._refuse_changed_fact(line, external_id, changed)
            else:
                await self._update(pk, stored, values)
                existing[external_id] = (pk, values)
        rows = [values for _, values, _ in new.values()]
        if inserted:
            await self._inserted(rows, written)
        elif rows and self.dialect == "sqlite":
            await self._inserted(rows, await self._insert_sqlite([(v, given) for _, v, given in new.values()]))
        elif rows:
            await self._insert(rows)

    def _repeated(self, line: int, external_id: str, earlier: tuple, values: tuple, earlier_line: int | None) -> None:
        reason = repeated_in_file(self.kind.noun, external_id, self._differences(earlier, values), earlier_line)
        if reason is None:
            self.result.unchanged += 1
        else:
            self.result.refuse(line, reason)

    async def _insert_sqlite(self, rows: list[tuple[tuple, tuple]]) -> int:
        """SQLite: the rows (column values, and the record's values they were read from) in one multi-row statement
        (measured against executemany of the same 100,000 touchpoints: as fast or faster), ON CONFLICT DO NOTHING;
        how many it wrote (SQLite counts the changes itself; a returned row would cost more than its insert)."""
        if not rows:
            return 0
        kind = self.kind
        sql = (f'INSERT INTO "{kind.table}" ({_quoted(kind.columns)}) VALUES '
               f'{_values_sql(self.dialect, len(rows), len(kind.columns))} ON CONFLICT ("external_id") DO NOTHING')
        written, _ = await self.db.execute_query(sql, self._sqlite_parameters(rows))
        return written

    def _sqlite_parameters(self, rows: list[tuple[tuple, tuple]]) -> list:
        """The rows' values one after the other, each time as the text SQLite keeps (rawsql.sqlite_time_text, from
        the record's own text where it is that already: binding a datetime formats it, a microsecond a row)."""
        parameters = [v for values, _ in rows for v in values]
        width = len(self.kind.columns)
        for column, key in self.time_keys:
            parameters[column::width] = [sqlite_time_text(moment, given[key]) if isinstance(
                moment := values[column], datetime) else moment for values, given in rows]
        return parameters

    async def _insert(self, rows: list[tuple]) -> None:
        """PostgreSQL: the batch's new rows by COPY (the fastest way in: a multi-row INSERT from arrays with ON
        CONFLICT took 56 µs a touchpoint, three and a half times psql's COPY of the same rows). Imports run one at a
        time, so no row of the batch can be there already: a row there fails the COPY (and the transaction), which
        only a writer that broke that rule can cause, and the import then fails (Unavailable)."""
        copied = await bulk.copy_counted(self.db, self.kind.table, self.kind.columns, rows)
        if copied is None:
            raise Unavailable(f"another writer stored some of these {self.kind.noun} records during this "
                              "import: nothing was imported; send it again")
        await self._inserted(rows, copied)

    async def _inserted(self, rows: list[tuple], written: int) -> None:
        """Account for the batch's new rows, `written` of which the database wrote: imports run one at a time, so
        a row not written was stored by a writer that broke that rule, and the import fails (Unavailable) instead
        of counting it as unchanged (its content may differ and would go unwritten)."""
        kind = self.kind
        if written != len(rows):  # retried, the import compares them with what the other writer stored
            raise Unavailable(f"another writer stored {len(rows) - written} of these {self.kind.noun} records "
                              "during this import: nothing was imported; send it again")
        if not rows:
            return
        if self.tracks_written:
            # Counted, not returned: the ids of the rows just written, by their external ids.
            condition, params = _in_list(self.dialect, [row[0] for row in rows])
            ids = await self._select(f'SELECT "id" FROM "{kind.table}" WHERE "external_id" {condition}', params)
            self.written.update(r[0] for r in ids)
        self.result.created += written
        if kind.lead_column is not None:
            index = kind.columns.index(kind.lead_column)
            self.affected_leads.update(row[index] for row in rows)

    async def finish(self) -> None:
        """Derived rows, once all batches are in: the facts of the leads whose events or touches changed (a new
        lead has no events or touches, so no facts row: see domain.leads.facts); of a touch import only the facts'
        touch columns, in place."""
        large = self.dialect != "sqlite" and self.result.created >= ANALYZE_AFTER
        if large:
            # The rows just written are this transaction's, which autovacuum cannot see: without fresh statistics
            # PostgreSQL takes a table filled by the import for nearly empty and scans all of it for each batch of
            # leads refreshed below (a generated 20k-lead touchpoint file: 5.3k rows/s before, 17.9k with this).
            await self.db.execute_script(f'ANALYZE "{self.kind.table}"')
        if self.kind.touches:
            await refresh_touched_leads(self.affected_leads)
        else:
            await refresh_leads(self.affected_leads, rescore=self.kind.scored)
        if self.written:
            await _REFRESH_WRITTEN[self.kind.name](sorted(self.written))
        if large:  # and the derived rows rewritten above, which the reports read as soon as this commits
            await self.db.execute_script(" ".join(f'ANALYZE "{t}";' for t in DERIVED_TABLES))

    async def _update(self, pk: int, stored: tuple, values: tuple) -> None:
        """A changed record of a mutable kind (a lead, an opportunity): updated, and audited with before and after."""
        kind = self.kind
        changes = {c: values[i] for i, c in enumerate(kind.columns) if stored[i] != values[i]}
        marks = _values_sql(self.dialect, 1, len(changes) + 1)[1:-1].split(",")
        assignments = ", ".join(f'"{c}" = {m}' for c, m in zip(changes, marks))
        await self.db.execute_query(f'UPDATE "{kind.table}" SET {assignments} WHERE "id" = {marks[-1]}',
                                    [*changes.values(), pk])
        snapshot = lambda vals: {c: (v.isoformat() if isinstance(v, datetime) else v)
                                 for c, v in zip(kind.columns, vals)}
        await record(self.actor, "import", kind.entity, pk, snapshot(stored), snapshot(values), connection=self.db)
        self.result.updated += 1
        if kind.name == "leads":
            self.affected_leads.add(pk)
        if self.tracks_written:
            self.written.add(pk)
