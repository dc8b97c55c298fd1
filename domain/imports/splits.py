"""The `opportunity-splits` import: each deal's crediting splits for pay, as opportunitySplitSet sets them.

The rows naming a deal are its whole set of splits (they replace what it had, as the mutation does), so they are
checked together once the file is read: each row as a row (its deal, its person, its percent), then the deal's set
by the mutation's rule (comp.service.split_set_problems: above 0 and at most 100 each, exactly 100.00 together,
each person once). A deal with a refused line keeps its splits (its other lines are refused with it, naming the
line at fault), so no deal is ever left with part of a set. Written through comp.service.replace_splits (audited as
`import`), in the import's transaction: all or nothing like every import. Splits files are small (a few rows per
deal), so they are read whole."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from domain.attribution.models import Opportunity
from domain.comp.models import OpportunitySplit
from domain.comp.service import replace_splits, split_set_problems
from domain.imports.formats import Record
from domain.imports.rules import RowRefused, repeated_in_file

_CHUNK = 500


async def opportunity_refs(records: list[Record], at: int, connection) -> dict[str, int]:
    """{external id: id} of the opportunities the records name (the key at index `at`)."""
    keys = sorted({str(r.values[at]).strip() for r in records if r.values is not None and r.values[at] is not None})
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        found.update(await Opportunity.filter(external_id__in=keys[start:start + _CHUNK]).using_db(connection)
                     .values_list("external_id", "id"))
    return found


async def import_splits(run, records: Iterable[Record], progress: Callable[[int], None] | None) -> None:
    """Check and write a splits file (`run` is the import's run of this kind: its refs, result and connection)."""
    kind, result = run.kind, run.result
    rows = list(records)
    result.rows = len(rows)
    run.refs.opportunities = await opportunity_refs(rows, kind.keys.index("opportunity_external_id"), run.db)
    names = {deal: name for name, deal in run.refs.opportunities.items()}
    by_deal: dict[int, list[tuple[int, tuple]]] = defaultdict(list)
    bad_deals: dict[int, int] = {}          # deal -> the first line refused
    seen: dict[str, tuple[int, tuple]] = {}
    for rec in rows:
        if rec.values is None:
            result.refuse(rec.line, rec.problem or "not readable")
            if rec.fatal:
                return
            continue
        try:
            values = kind.parse(rec.values, run.refs, run.importer)
        except RowRefused as refused:
            result.refuse(rec.line, str(refused))
            named = rec.values[kind.keys.index("opportunity_external_id")]
            deal = run.refs.opportunities.get(str(named).strip()) if named is not None else None
            if deal is not None:
                bad_deals.setdefault(deal, rec.line)
            continue
        external_id, deal = values[0], values[1]
        if external_id in seen:
            earlier_line, earlier = seen[external_id]
            changed = [kind.key(kind.columns[i]) for i in range(len(values)) if earlier[i] != values[i]]
            reason = repeated_in_file(kind.noun, external_id, changed, earlier_line)
            if reason is None:   # the same line again: counted once
                result.unchanged += 1
                continue
            result.refuse(rec.line, reason)
            bad_deals.setdefault(deal, rec.line)
            continue
        seen[external_id] = (rec.line, values)
        by_deal[deal].append((rec.line, values))
    if progress:
        progress(result.rows)
    stored = await _stored_splits(sorted(by_deal), run.db)
    for deal, lines in by_deal.items():
        if deal in bad_deals:
            for line, _ in lines:
                result.refuse(line, f"the deal's splits are refused with line {bad_deals[deal]}: its rows are "
                                    "its whole set of splits")
            continue
        problems = split_set_problems([v[2] for _, v in lines], [v[3] for _, v in lines])
        if problems:
            numbers = ", ".join(str(line) for line, _ in lines)
            for _, message, i, _ in problems:
                if i is None:
                    result.refuse(lines[-1][0], f"opportunity '{names[deal]}' (lines {numbers}): {message}")
                else:
                    result.refuse(lines[i][0], message)
            continue
        before = stored.get(deal, {})
        for _, (_, _, person, percent) in lines:
            if person not in before:
                result.created += 1
            elif before[person] != percent:
                result.updated += 1
            else:
                result.unchanged += 1
        # written even when another deal was refused: the import then rolls back, unless it skips bad rows
        await replace_splits(run.actor, deal, [(v[2], v[3]) for _, v in lines], "import", run.db)


async def _stored_splits(deals: list[int], connection) -> dict[int, dict[int, Decimal]]:
    found: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for start in range(0, len(deals), _CHUNK):
        for deal, person, percent in await OpportunitySplit.filter(
                opportunity_id__in=deals[start:start + _CHUNK]).using_db(connection).values_list(
                "opportunity_id", "person_id", "percent"):
            found[deal][person] = Decimal(str(percent)).quantize(Decimal("0.01"))
    return found
