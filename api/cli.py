"""The `sharedgoals` command: serve, migrate, create-token, seed-demo, generate, import, rebuild-sla,
rebuild-rollups, check-percents, backup, export-schema."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from api import db
from api.settings import get_settings


def _run(coro):
    return asyncio.run(coro)


async def _with_db(work):
    await db.init_db()
    try:
        return await work()
    finally:
        await db.close_db()


def cmd_migrate(args) -> int:
    def progress(event, app_label, name):
        if event == "apply_start":
            print(f"  applying {app_label}.{name} ...", flush=True)
        elif event == "backfill":
            print(f"  wrote the {name}", flush=True)
    _run(db.migrate(progress=progress))
    print("migrations applied")
    return 0


def cmd_serve(args) -> int:
    settings = get_settings()
    if args.workers > 1 and settings.is_sqlite:
        print("refused: --workers above 1 needs PostgreSQL (SQLite takes one writer). "
              "Set DATABASE_URL=postgres://user:password@host:5432/dbname, or serve with --workers 1.",
              file=sys.stderr)
        return 2
    _run(db.migrate())
    import uvicorn
    uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level.lower(), proxy_headers=False)
    return 0


def cmd_create_token(args) -> int:
    from domain.errors import DomainError
    from domain.org.rules import Role
    from domain.org.service import create_token, token_lifetime
    from domain import clock

    role = Role(args.role) if args.role else None
    try:
        lifetime = token_lifetime(args.expires_days)
    except DomainError as e:
        print(f"error: --expires-days: {e}", file=sys.stderr)
        return 2
    expires = clock.now() + lifetime if lifetime else None

    async def work():
        if args.keep and (kept := await _kept_token(Path(args.keep), args.person, role)) is not None:
            return kept
        secret, token = await create_token(role=role, person_email=args.person, name=args.name, expires_at=expires)
        if args.keep:
            _keep(Path(args.keep), secret)
        return secret, token
    try:
        secret, token = _run(_with_db(work))
    except DomainError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    who = f"acting as {args.person}" if args.person else "service token"
    print(f"token #{token.id} ({who}, role {token.role.value}); send it as 'Authorization: Bearer <token>':")
    print(secret)
    return 0


async def _kept_token(path: Path, person_email: str | None, role):
    """The token kept in `path` by an earlier run, if it still authenticates as the same person (or role)."""
    from domain.org.models import ApiToken
    from domain.org.service import authenticate

    try:
        secret = path.read_text().strip()
    except OSError:
        return None
    principal = await authenticate(secret)
    if principal is None:
        return None
    token = await ApiToken.get(id=principal.token_id).prefetch_related("person")
    same = (token.person is not None and token.person.email == (person_email or "").strip().lower()) if person_email \
        else (token.person is None and token.role == role)
    return (secret, token) if same else None


def _keep(path: Path, secret: str) -> None:
    """Write the secret readable by its owner only (the file is created with mode 0600, never wider)."""
    import os
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")


def cmd_seed_demo(args) -> int:
    from api.demo import is_empty, seed_demo

    async def work():
        if args.if_empty and not await is_empty():
            return None
        return await seed_demo()
    added = _run(_with_db(work))
    print("database not empty: demo data not loaded" if added is None else f"demo organisation loaded ({added} people)")
    return 0


async def _actor(as_email: str | None):
    """Who a command acts as: the operator (an admin, audited as the command line and the host user), or with
    `--as EMAIL` that person, under the same rules as their own token."""
    import getpass
    import socket

    from domain.errors import not_found
    from domain.org.models import Person
    from domain.org.rules import operator
    from domain.org.service import person_principal

    where = f"command line ({getpass.getuser()}@{socket.gethostname()})"
    if not as_email:
        return operator(where)
    person = await Person.get_or_none(email=as_email.strip().lower())
    if person is None or not person.active:
        raise not_found(f"no active person has the email {as_email}", "as")
    return await person_principal(person, name=f"{person.name} via the {where}")


def cmd_import(args) -> int:
    from tqdm import tqdm

    from domain.imports.formats import FORMAT_OF_EXTENSION, format_of_filename
    from domain.imports.service import import_file

    if args.source:
        return _vendor_import(args)
    from domain.imports.kinds import KINDS
    if args.kind not in KINDS:
        print(f"error: '{args.kind}' is not a kind of import: one of {', '.join(KINDS)} (or a CRM object with "
              "--source NAME)", file=sys.stderr)
        return 2
    fmt = format_of_filename(args.file)
    if fmt is None:
        print(f"error: {args.file}: the format follows the extension, one of {', '.join(FORMAT_OF_EXTENSION)}",
              file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        stream = path.open("rb")
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with stream, tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=f"importing {args.kind}",
                      file=sys.stderr, disable=None) as bar:
        def progress(rows: int) -> None:
            bar.update(stream.raw.tell() - bar.n)  # bytes read so far (the buffer reads a little ahead)
            bar.set_postfix_str(f"{rows:,} rows", refresh=False)

        result, status = _run_import(args, lambda actor: import_file(
            args.kind, stream, fmt, actor=actor, skip_bad=args.skip_bad, progress=progress,
            on_wait=_waiting_for_writer, dry_run=args.dry_run))
    return status if result is None else _report([result], args)


def _run_import(args, start) -> tuple[object | None, int]:
    """(the import's result, 0), or (None, its exit status) when it was refused (2) or the database was busy (3):
    `start(actor)` runs as `--as` (or the operator) while running servers hear what it changes."""
    from api import pubsub
    from domain.availability import Unavailable
    from domain.errors import DomainError

    from domain.attribution.stored import settle

    async def work():
        actor = await _actor(args.as_email)
        async with pubsub.running(get_settings().database_url):
            result = await start(actor)
            await settle()  # the rollups of the deals a large import left pending, before the process ends
            return result
    try:
        return _run(_with_db(work)), 0
    except DomainError as e:
        print(f"error: {e}", file=sys.stderr)
        return None, 2
    except Unavailable as e:
        print(f"error: {e.message} Nothing was imported.", file=sys.stderr)
        return None, 3


def _vendor_import(args) -> int:
    """`sharedgoals import OBJECT FILE --source NAME`: a CRM's export through a mapping (shipped, in
    SHAREDGOALS_MAPPINGS_DIR, or a .toml file's path)."""
    from domain.imports.crm.service import FIRST_ERRORS, import_vendor_file, summary_lines

    path = Path(args.file)
    try:
        stream = path.open("rb")
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    with stream:
        result, status = _run_import(args, lambda actor: import_vendor_file(
            args.source, args.kind, stream, actor=actor, skip_bad=args.skip_bad, dry_run=args.dry_run,
            allow_path=True, on_wait=_waiting_for_writer))
    if result is None:
        return status
    for problem in result.file_errors:
        print(f"file error: {problem}", file=sys.stderr)
    if result.file_errors:
        print(f"{args.kind}: nothing imported: the file errors above stop the whole file (--skip-bad does not skip "
              "them)", file=sys.stderr)
        return 1
    errors = result.as_json(first_errors=FIRST_ERRORS if args.dry_run else None)["errors"]
    for error in errors:
        print(f"line {error['line']}: {error['reason']}", file=sys.stderr)
    if result.error_count > len(errors):
        print(f"... and {result.error_count - len(errors)} more refused rows", file=sys.stderr)
    for line in summary_lines(result):
        print(line)
    if args.dry_run:
        would = args.skip_bad or not result.error_count
        print("dry run: nothing was written" + ("" if would else "; as it is, the import would import nothing"))
        return 0 if would else 1
    if not result.imported:
        print(f"{args.kind}: nothing imported ({result.error_count} refused)"
              + ("" if args.skip_bad else " (--skip-bad imports the good rows)"), file=sys.stderr)
        return 1
    return 0


def _report(results, args, first_errors: int | None = None) -> int:
    """Print each kind's line errors (the first `first_errors` of them in a dry run) and counts; the exit code."""
    errors = sorted((e for r in results for e in r.errors), key=lambda e: e.line)
    shown = errors if first_errors is None else errors[:first_errors]
    for error in shown:
        print(f"line {error.line}: {error.reason}", file=sys.stderr)
    more = sum(r.more_errors for r in results) + len(errors) - len(shown)
    if more:
        print(f"... and {more} more refused rows", file=sys.stderr)
    refused = sum(r.error_count for r in results)
    if args.dry_run:
        for r in results:
            print(f"{r.kind}: would be {r.created} created, {r.updated} updated, {r.unchanged} unchanged, "
                  f"{r.error_count} refused")
        would = args.skip_bad or not refused
        print("dry run: nothing was written" + ("" if would else "; as it is, the import would import nothing"
                                                               + ("" if args.skip_bad else " (--skip-bad imports the good rows)")))
        return 0 if would else 1
    if not all(r.imported for r in results):
        print(f"{', '.join(r.kind for r in results)}: nothing imported ({refused} refused)"
              + ("" if args.skip_bad else " (--skip-bad imports the good rows)"), file=sys.stderr)
        return 1
    for r in results:
        print(f"{r.kind}: {r.created} created, {r.updated} updated, {r.unchanged} unchanged, {r.error_count} refused")
    return 0


def cmd_generate(args) -> int:
    from datetime import datetime, timezone

    from tqdm import tqdm

    from domain.dataset.service import ImportRefused, Options, Progress, generate
    from domain.errors import DomainError

    as_of = None
    if args.as_of:
        as_of = datetime.fromisoformat(args.as_of)
        as_of = as_of.replace(tzinfo=timezone.utc) if as_of.tzinfo is None else as_of
    options = Options(leads=args.leads, seed=args.seed, quarters=args.quarters, as_of=as_of, pay=not args.no_pay)

    class Bar(Progress):
        bar = None

        def stage(self, name, total):
            self.close()
            self.bar = tqdm(total=total, desc=name, unit=" rows" if total else "", file=sys.stderr, disable=None,
                            unit_scale=True)

        def advance(self, done):
            if self.bar is not None:
                self.bar.update(done - self.bar.n)

        def close(self):
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    url = args.database_url or get_settings().database_url
    _run(db.migrate(url))

    async def work():
        await db.init_db(url)
        try:
            return await generate(options, Bar())
        finally:
            await db.close_db()
    try:
        summary = _run(work())
    except (DomainError, ImportRefused, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"generated (seed {args.seed}, as of {summary.as_of:%Y-%m-%d}, periods {', '.join(summary.periods)}): "
          f"{summary.lead_mqls} MQLs and {summary.opportunities} opportunities in the journeys; "
          f"files written in {summary.generate_seconds:.1f} s")
    for name, figures in summary.imports.items():
        print(f"  {name}: {figures['rows']:,} rows, {figures['created']:,} created, {figures['unchanged']:,} "
              f"unchanged, {figures['seconds']:.1f} s ({figures['rows_per_s'] or 0:,} rows/s)")
    if summary.rollup_seconds >= 0.05:
        print(f"  credit rollups of the deals imported, summed after the imports: {summary.rollup_seconds:.1f} s")
    if summary.pay is not None:
        p = summary.pay
        print(f"  pay: {p.plans} plans and {p.splits} split deals created, closed {', '.join(p.closed) or 'none'}, "
              f"{p.clawbacks} clawbacks in the open quarter, {p.seconds:.1f} s")
    return 0


def cmd_export_schema(args) -> int:
    from schema.schema import export_sdl
    sdl = export_sdl()
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def cmd_backup(args) -> int:
    from api.backup import BackupError, backup_sqlite
    try:
        pages = backup_sqlite(get_settings().database_url, args.file)
    except BackupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"backed up {pages} pages to {args.file}")
    return 0


def _waiting_for_writer() -> None:
    print("waiting for another import (or another writer of the database) to finish...", file=sys.stderr,
          flush=True)


def _rebuilt(rebuild, count) -> int:
    """Derived rows rewritten in one transaction with the lead writers' lock (an import waits), then counted."""
    from domain.locks import bulk_lead_transaction

    async def work():
        async with bulk_lead_transaction(on_wait=_waiting_for_writer):
            await rebuild()
        return await count()
    return _run(_with_db(work))


def cmd_rebuild_sla(args) -> int:
    from domain.leads import sla_store
    from domain.leads.models import SlaLead
    count = _rebuilt(sla_store.rebuild_all, lambda: SlaLead.all().count())
    print(f"stored SLA rows rebuilt from the lead facts: {count:,} rows")
    return 0


def cmd_rebuild_rollups(args) -> int:
    from domain.attribution import rollups
    from domain.attribution.models import CreditRollup
    count = _rebuilt(rollups.rebuild, lambda: CreditRollup.all().count())
    print(f"credit rollups rebuilt from the stored credit rows: {count:,} rows")
    return 0


def cmd_check_percents(args) -> int:
    from domain.goals.queries import percent_values_out_of_range
    from schema.core.ids import encode_id

    found = _run(_with_db(percent_values_out_of_range))
    for x in found:
        print(f"{x.period_key}  {encode_id('KeyResult', x.key_result_id)}  {x.objective_title} / "
              f"{x.key_result_title}  {x.field} = {format(x.value.normalize(), 'f')}: {x.problem}")
    print(f"{len(found)} stored PERCENT value{'s' if len(found) != 1 else ''} outside -10..10"
          + (" (fix them with keyResultUpdate; a check-in is history, a new one supersedes it)" if found else ""))
    return 1 if found else 0


def cmd_backtest(args) -> int:
    from domain.forecast import backtest

    weeks = tuple(int(w) for w in args.weeks.split(",") if w.strip())
    if not weeks or any(not 1 <= w <= 13 for w in weeks):
        print("--weeks takes week numbers from 1 to 13, comma-separated (e.g. 4,8,11)", file=sys.stderr)
        return 2

    async def work():
        return await backtest.backtest(weeks)
    points = _run(_with_db(work))
    if not points:
        print("no past quarter with deals to replay")
        return 1
    print(backtest.table(points, weeks))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sharedgoals", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="apply pending migrations and serve the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-token", help="print a new API token (last line of output)")
    p.add_argument("--role", choices=["ADMIN", "LEADER", "FINANCE", "MEMBER"])
    p.add_argument("--person", metavar="EMAIL", help="act as this person, with their role")
    p.add_argument("--name")
    p.add_argument("--expires-days", type=int, default=None)
    p.add_argument("--keep", metavar="FILE", help="reuse the token kept in FILE while it is valid and acts as the "
                                                  "same person or role; else make one and keep it there (mode 0600)")
    p.set_defaults(func=cmd_create_token)

    p = sub.add_parser("seed-demo", help="load a small demo organisation")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no teams or people")
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("import", help="import leads, lead-events, touchpoints, opportunities or opportunity-splits "
                                      "from CSV or NDJSON, idempotent by external id; or a CRM's export with --source")
    p.add_argument("kind", metavar="KIND", help="leads, lead-events, touchpoints, opportunities or opportunity-splits; "
                                                "with --source the "
                                                "CRM's object (Lead, Opportunity, contacts, deals...)")
    p.add_argument("file", help="a .csv (header row) or .ndjson / .jsonl file")
    p.add_argument("--source", metavar="NAME", help="a CRM mapping: salesforce, hubspot, one in "
                                                    "SHAREDGOALS_MAPPINGS_DIR, or a .toml file (docs/crm-imports.md)")
    p.add_argument("--skip-bad", action="store_true", help="import the good rows when some are refused")
    p.add_argument("--dry-run", action="store_true", help="read and check the whole file, print what it would "
                                                          "create, update and leave unchanged, write nothing")
    p.add_argument("--as", dest="as_email", metavar="EMAIL",
                   help="apply this person's rules (docs/ownership.md); default: the operator, as an admin")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("generate", help="write a deterministic synthetic organisation (people, goals, SLAs, leads "
                                        "with their events, touchpoints and opportunities) through the bulk import")
    p.add_argument("--leads", type=int, required=True, help="leads (touchpoints about 5x, opportunities about 0.1x); "
                                                            "reference scale 1000000")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--quarters", type=int, default=4, help="fiscal quarters of history, ending in the current one")
    p.add_argument("--as-of", help="the day the history ends (default: today, UTC); a re-run with the same seed, "
                                   "scale and day changes nothing")
    p.add_argument("--no-pay", action="store_true", help="leave out the pay step (plans, splits, closing the past "
                                                         "quarters, clawbacks: docs/operations.md)")
    p.add_argument("--database-url", help="default: DATABASE_URL")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("rebuild-sla", help="rewrite the stored per-lead SLA rows from the lead facts (after "
                                           "SHAREDGOALS_TIMEZONE changes, business-hours SLAs need it to be fast)")
    p.set_defaults(func=cmd_rebuild_sla)

    p = sub.add_parser("rebuild-rollups", help="rewrite the per-day credit rollups from the stored credit rows "
                                               "(they are kept current; this is for a repair)")
    p.set_defaults(func=cmd_rebuild_rollups)

    p = sub.add_parser("check-percents", help="list stored PERCENT key result values outside -10..10 (whole "
                                              "percents typed as 52 for 52%%); exits 1 when there are any")
    p.set_defaults(func=cmd_check_percents)

    p = sub.add_parser("backtest", help="replay the past quarters as of weeks 4, 8 and 11: the revenue forecast's "
                                        "error beside the naive projection's, and how often the actual fell in p10-p90")
    p.add_argument("--weeks", default="4,8,11", help="weeks of the quarter to forecast as of (default 4,8,11)")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("backup", help="consistent copy of the SQLite database, also while it serves")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("export-schema", help="print the GraphQL SDL")
    p.add_argument("--output", "-o")
    p.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from api import logsafe
    logsafe.install()
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    if args.command == "create-token" and not (args.role or args.person):
        print("error: give --role ROLE, or --person EMAIL", file=sys.stderr)
        return 2
    from api.app import configure_domain
    configure_domain(get_settings())
    try:
        return args.func(args)
    except db.DatabaseUnusable as e:
        print(f"error: {e}. Set DATABASE_URL to a path this user can write.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
