"""Importing a vendor's export: read the CSV whole (line-numbered), translate its rows with the named mapping
into native records, then hand them to the native import (domain.imports.service.import_kinds), several kinds in
one transaction, all or nothing. The links a file leaves for later files (crm_link) and the HubSpot stage events
whose date moved are written in that same transaction, before the native rows.

A file error (a required column missing, a value the mapping does not know, an ambiguous owner name) stops the
import before anything is written, even with skip_bad: skipping would drop those rows silently."""
from __future__ import annotations

import csv
import io
import os
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable

from domain.access.rules import crm_import_refusal, enforce
from domain.audit.service import record
from domain.errors import DomainError, ErrorCode, invalid
from domain.imports.crm import rules
from domain.imports.crm.models import CrmLink
from domain.imports.crm.translate import ORDER, Lookups, Translation, translate, translator_of, missing_columns
from domain.imports.service import ImportResult, import_kinds
from domain.leads.facts import refresh_leads
from domain.leads.models import Lead, LeadEvent
from domain.org.models import Person, Team
from domain.org.rules import Principal
from domain.rawsql import as_utc

SHIPPED = Path(__file__).resolve().parent.parent / "mappings"
MAPPING_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
FIRST_ERRORS = 20  # line errors a dry run shows


def _mapping_error(message: str, *path: str) -> DomainError:
    return invalid(message, *path)


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


def load_mapping(name: str, *, user_dir: str | None = None, allow_path: bool = False) -> dict[str, Any]:
    """The mapping named `name`: one of the user's (a `.toml` in `user_dir`, the admin's folder), else one
    shipped with the service. On the command line (`allow_path`) a path to a `.toml` file is taken too. A name is
    letters, digits, - and _ only: never a path from HTTP."""
    path = None
    if allow_path and (name.endswith(".toml") or os.sep in name):
        path = Path(name)
        if not path.is_file():
            raise _mapping_error(f"mapping file {name} does not exist", "source")
    else:
        if not name or not set(name.lower()) <= MAPPING_NAME_CHARS:
            raise _mapping_error(f"'{name}' is not a mapping name (letters, digits, - and _)", "source")
        candidates = ([Path(user_dir) / f"{name}.toml"] if user_dir else []) + [SHIPPED / f"{name}.toml"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            known = sorted(set(shipped_names()) | ({p.stem for p in Path(user_dir).glob("*.toml")}
                                                    if user_dir and Path(user_dir).is_dir() else set()))
            raise DomainError.one(ErrorCode.NOT_FOUND, f"no mapping named '{name}': one of {', '.join(known)}",
                                  "source")
    try:
        mapping = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as e:
        raise _mapping_error(f"mapping {path.name} is not readable TOML: {e}", "source") from None
    mapping.setdefault("source", path.stem)
    if problems := rules.mapping_problems(mapping):
        raise _mapping_error(f"mapping {path.name}: {'; '.join(problems)}", "source")
    if not isinstance(mapping.get("objects"), dict) or not mapping["objects"]:
        raise _mapping_error(f"mapping {path.name} has no [objects.NAME] section", "source")
    for object_name, section in mapping["objects"].items():
        if not isinstance(section, dict) or translator_of(section) is None:
            raise _mapping_error(f"mapping {path.name}: [objects.{object_name}] needs a translator, one of "
                                 f"{', '.join(sorted(_translator_names()))}", "source")
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(mapping.get("timezone", "UTC"))
    except Exception:
        raise _mapping_error(f"mapping {path.name}: timezone '{mapping.get('timezone')}' is not a time zone",
                             "source") from None
    return mapping


def _translator_names():
    from domain.imports.crm.translate import TRANSLATORS
    return TRANSLATORS


@dataclass
class VendorResult:
    source: str
    object: str
    results: list[ImportResult] = field(default_factory=list)
    links: Counter = field(default_factory=Counter)     # created / updated / unchanged links (campaigns, ...)
    moved: int = 0                                       # stage events whose date moved
    skipped: dict[str, int] = field(default_factory=dict)
    file_errors: list[str] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False
    imported: bool = False

    @property
    def error_count(self) -> int:
        return sum(r.error_count for r in self.results)

    def as_json(self, first_errors: int | None = None) -> dict[str, Any]:
        errors = sorted(({"line": e.line, "reason": e.reason} for r in self.results for e in r.errors),
                        key=lambda e: e["line"])
        return {"source": self.source, "object": self.object, "rows": self.rows, "imported": self.imported,
                "dryRun": self.dry_run, "fileErrors": self.file_errors,
                "kinds": {r.kind: {"created": r.created, "updated": r.updated, "unchanged": r.unchanged,
                                   "refused": r.error_count} for r in self.results},
                "links": dict(self.links), "movedStageEvents": self.moved, "skipped": self.skipped,
                "errors": errors[:first_errors] if first_errors else errors, "errorCount": self.error_count}


def read_vendor_csv(stream: BinaryIO) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[str]]:
    """(header, rows as (line, {column: value}), problems). A BOM is dropped; quoted commas and line breaks are
    kept inside their field; the line of a row is the line it starts on."""
    problems: list[str] = []
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            return [], [], ["the file is empty: a CSV export needs its header row"]
        rows = []
        start = 2
        for row in reader:
            if row and (len(row) > 1 or row[0].strip()):
                if len(row) != len(header):
                    problems.append(f"line {start}: has {len(row)} fields, the header has {len(header)}")
                else:
                    rows.append((start, dict(zip(header, row))))
            start = reader.line_num + 1
        text.detach()
    except UnicodeDecodeError:
        return [], [], ["the file is not UTF-8 text (export it as UTF-8)"]
    except csv.Error as e:
        return [], [], [f"not readable as CSV: {e}"]
    return header, rows, problems


async def _lookups(source: str, mapping, object_name: str, rows) -> Lookups:
    people = await Person.all().values_list("email", "name", "team_id")
    teams = await Team.all().values_list("id", "name", "function")
    team_name = {tid: name for tid, name, _ in teams}
    by_function: dict[str, list[str]] = {}
    for _, name, function in teams:
        by_function.setdefault(str(getattr(function, "value", function)), []).append(name)
    links = {(k, v): value for k, v, value in await CrmLink.filter(source=source).values_list("kind", "vendor_id",
                                                                                                "value")}
    lookups = Lookups(people=[rules.Person(e, n) for e, n, _ in people],
                      team_of_email={e: team_name[t] for e, _, t in people if t in team_name},
                      teams_by_function=by_function, links=links)
    section = mapping["objects"][object_name]
    if translator_of(section).needs_lead_times:
        column = section.get("columns", {}).get("lead")
        prefix = mapping.get("prefix", source)
        keys = set()
        for _, row in rows:
            try:
                keys.add(f"{prefix}:{rules.sf_id18(row.get(column) or '')}")
            except rules.VendorValueError:
                pass
        for start in range(0, len(keys), 500):
            part = sorted(keys)[start:start + 500]
            for ext, created in await Lead.filter(external_id__in=part).values_list("external_id", "created_at"):
                lookups.lead_created[ext] = as_utc(created)
    return lookups


async def import_vendor_file(source: str, object_name: str, stream: BinaryIO, *, actor: Principal,
                             skip_bad: bool = False, dry_run: bool = False, user_dir: str | None = None,
                             allow_path: bool = False, on_wait: Callable[[], None] | None = None) -> VendorResult:
    enforce(crm_import_refusal(actor), "source")
    from domain import config
    mapping = load_mapping(source, user_dir=user_dir or config.current().mappings_dir, allow_path=allow_path)
    source_name = mapping["source"]
    objects = mapping["objects"]
    if object_name not in objects:
        raise DomainError.one(ErrorCode.NOT_FOUND, f"mapping '{source_name}' has no object '{object_name}': one of "
                                                   f"{', '.join(objects)}", "object")
    result = VendorResult(source=source_name, object=object_name, dry_run=dry_run)
    header, rows, problems = read_vendor_csv(stream)
    result.rows = len(rows)
    result.file_errors = problems + (missing_columns(mapping, object_name, header) if header else [])
    if result.file_errors:
        return result
    translation = translate(mapping, object_name, rows, await _lookups(source_name, mapping, object_name, rows))
    result.skipped = dict(translation.skipped)
    result.file_errors = translation.all_errors
    if result.file_errors:
        return result
    kinds = [k for k in ORDER if translation.records[k]]

    async def before(connection) -> None:
        await _write_links(source_name, translation, result, actor, connection)
        await _move_stage_times(translation, result, actor, connection)

    result.results = await import_kinds([(k, translation.records[k]) for k in kinds], actor=actor,
                                        skip_bad=skip_bad, dry_run=dry_run, on_wait=on_wait, before=before)
    result.imported = all(r.imported for r in result.results) if result.results else not dry_run
    if not result.results and dry_run:
        result.imported = False
    return result


async def _write_links(source: str, t: Translation, result: VendorResult, actor, connection) -> None:
    """The links this file gives (a campaign's channel, a lead's converted opportunity): new ones created,
    changed ones updated (audited), the same ones left."""
    if not t.links:
        return
    stored = {(k, v): (pk, value) for pk, k, v, value in await CrmLink.filter(source=source).using_db(connection)
              .values_list("id", "kind", "vendor_id", "value")}
    for (kind, vendor_id), value in sorted(t.links.items()):
        if (kind, vendor_id) not in stored:
            await CrmLink.create(source=source, kind=kind, vendor_id=vendor_id, value=value, using_db=connection)
            result.links[f"{kind}: created"] += 1
        elif stored[(kind, vendor_id)][1] != value:
            pk, before = stored[(kind, vendor_id)]
            await CrmLink.filter(id=pk).using_db(connection).update(value=value)
            await record(actor, "import", "CrmLink", pk, {"value": before}, {"value": value}, connection=connection)
            result.links[f"{kind}: updated"] += 1
        else:
            result.links[f"{kind}: unchanged"] += 1
    changed = {name: n for name, n in result.links.items() if not name.endswith("unchanged")}
    if changed:
        await record(actor, "import", "Import", f"{source}-links", None, changed, connection=connection)


async def _move_stage_times(t: Translation, result: VendorResult, actor, connection) -> None:
    """A HubSpot lifecycle date is a property that may change between two exports: the stage event it dates is
    moved to the new date (audited, with before and after), and its lead's facts follow."""
    if not t.stage_times:
        return
    moved_leads = set()
    keys = sorted(t.stage_times)
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        for pk, ext, lead_id, at in await LeadEvent.filter(external_id__in=part).using_db(connection) \
                .values_list("id", "external_id", "lead_id", "at"):
            new = t.stage_times[ext]
            if as_utc(at) != new:
                await LeadEvent.filter(id=pk).using_db(connection).update(at=new)
                await record(actor, "import", "LeadEvent", pk, {"at": as_utc(at).isoformat()},
                             {"at": new.isoformat()}, connection=connection)
                moved_leads.add(lead_id)
                result.moved += 1
    if moved_leads:
        await refresh_leads(moved_leads)


def summary_lines(result: VendorResult) -> list[str]:
    """What the command line prints on stdout: the counts per kind, links, moves and skips."""
    verb = "would be " if result.dry_run else ""
    lines = [f"{r.kind}: {verb}{r.created} created, {r.updated} updated, {r.unchanged} unchanged, "
             f"{r.error_count} refused" for r in result.results]
    lines += [f"links {name}: {n}" for name, n in sorted(result.links.items())]
    if result.moved:
        lines.append(f"stage events moved to a new date: {result.moved}")
    lines += [f"skipped: {n} {reason}" for reason, n in sorted(result.skipped.items())]
    return lines
