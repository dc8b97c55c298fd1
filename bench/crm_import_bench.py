"""What the CRM layer costs over the native import, on SQLite: the same N contacts imported as a HubSpot contacts
export (`--source hubspot`: translated, then leads and their lead events written in one transaction) and as the two
native files it translates into (leads.csv, then lead-events.csv: two imports). Each side gets a fresh SQLite file
per run, timed from opening the files to the commit; the best of `--repeat` runs counts.

    .venv/bin/python bench/crm_import_bench.py [--rows 20000] [--repeat 2]

Prints rows/s of both and the ratio (vendor / native). Writes nothing else.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from api import db  # noqa: E402
from domain.imports.crm.service import import_vendor_file  # noqa: E402
from domain.imports.service import import_file  # noqa: E402
from api.demo import seed_demo  # noqa: E402
from domain.org.rules import operator  # noqa: E402

SOFIA = "sofia.seller@demo.sharedgoals.dev"
CONTACT_HEADER = ["Record ID", "First Name", "Last Name", "Email", "Company Name", "Job Title", "Industry",
                  "Number of Employees", "Country/Region", "Original Source", "Lifecycle Stage", "Contact owner",
                  "Owner assigned date", "Create Date", "Became a Marketing Qualified Lead Date",
                  "Became a Sales Qualified Lead Date", "Became an Opportunity Date"]


def generate(folder: Path, rows: int, seed: int = 20261203) -> tuple[Path, Path, Path]:
    """A HubSpot contacts export and the same records as native leads and lead events (owner and MQL dates)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    contacts, leads, events = folder / "contacts.csv", folder / "leads.csv", folder / "events.csv"
    with contacts.open("w", newline="") as c, leads.open("w", newline="") as l, events.open("w", newline="") as e:
        cw, lw, ew = csv.writer(c), csv.writer(l), csv.writer(e)
        cw.writerow(CONTACT_HEADER)
        lw.writerow(["external_id", "company", "contact_name", "email", "industry", "employees", "region", "title",
                     "source", "created_at"])
        ew.writerow(["external_id", "lead_external_id", "at", "type", "stage", "owner_email"])
        for i in range(rows):
            created = start + timedelta(minutes=rng.randrange(0, 330 * 1440))
            mql = created + timedelta(minutes=rng.randrange(10, 5000))
            owned = rng.random() < 0.5
            assigned = mql + timedelta(minutes=30)
            fmt = "%Y-%m-%d %H:%M"
            cw.writerow([i, "Ann", f"Buyer {i}", f"c{i}@x{i % 997}.example", f"Company {i}, Ltd", "VP", "Software",
                         "500", "Germany", "Organic Search", "Marketing Qualified Lead",
                         "Sofia Seller" if owned else "", assigned.strftime(fmt) if owned else "",
                         created.strftime(fmt), mql.strftime(fmt), "", ""])
            ext = f"hs:contact:{i}"
            lw.writerow([ext, f"Company {i}, Ltd", f"Ann Buyer {i}", f"c{i}@x{i % 997}.example", "Software", "500",
                         "Germany", "VP", "Organic Search", created.isoformat()])
            if owned:
                ew.writerow([f"{ext}:owner", ext, assigned.isoformat(), "ASSIGNED", "", SOFIA])
            ew.writerow([f"{ext}:stage:MQL", ext, mql.isoformat(), "STAGE", "MQL", ""])
    return contacts, leads, events


async def _setup(url: str) -> None:
    await db.init_db(url)  # migrated before, in a loop of its own (as the CLI does)
    await seed_demo()      # Sofia Seller, the one sales and the one marketing team


async def _vendor(url: str, contacts: Path) -> float:
    await _setup(url)
    try:
        with contacts.open("rb") as f:
            began = time.perf_counter()
            result = await import_vendor_file("hubspot", "contacts", f, actor=operator("bench"))
            seconds = time.perf_counter() - began
        assert result.imported and not result.file_errors, result.as_json(5)
        return seconds
    finally:
        await db.close_db()


async def _native(url: str, leads: Path, events: Path) -> float:
    await _setup(url)
    try:
        began = time.perf_counter()
        for kind, path in (("leads", leads), ("lead-events", events)):
            with path.open("rb") as f:
                result = await import_file(kind, f, "csv", actor=operator("bench"))
                assert result.imported, result.as_json()
        return time.perf_counter() - began
    finally:
        await db.close_db()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        contacts, leads, events = generate(folder, args.rows)
        vendor, native = [], []
        for n in range(args.repeat):
            for side in ("native", "vendor"):
                asyncio.run(db.migrate(f"sqlite://{folder / f'{side}-{n}.sqlite3'}"))
            native.append(asyncio.run(_native(f"sqlite://{folder / f'native-{n}.sqlite3'}", leads, events)))
            vendor.append(asyncio.run(_vendor(f"sqlite://{folder / f'vendor-{n}.sqlite3'}", contacts)))
    v, nat = min(vendor), min(native)
    print(f"{args.rows:,} HubSpot contacts (leads + owner and MQL events), SQLite, best of {args.repeat}:")
    print(f"  native  (leads.csv + lead-events.csv): {nat:7.2f} s  {args.rows / nat:>8,.0f} contacts/s")
    print(f"  vendor  (contacts.csv --source hubspot): {v:5.2f} s  {args.rows / v:>8,.0f} contacts/s")
    print(f"  ratio vendor / native: {nat / v:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
