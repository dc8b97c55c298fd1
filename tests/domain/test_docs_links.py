"""The README and docs/*.md link only inside the repository, to files (and headings) that exist.

A clone is all a newcomer may have: a link that leaves the repository (`../`, an absolute path, a web address)
or names a file that is not there is a dead end. Web addresses are allowed only for the local service itself
(http://127.0.0.1:8000/..., http://localhost:...). No database, no network: it reads the files.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Links to the service a reader runs on their own machine.
LOCAL = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")
# Written on another branch, merged with this one (docs/ownership.md: who may do what). Until both are on main,
# a link to it is not a dead end; once it is there its headings are checked like any other file's.
EXPECTED_FROM_OTHER_BRANCHES = {"docs/ownership.md"}

_FENCE = re.compile(r"^(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HTML = re.compile(r"""<(?:a|img)\s[^>]*(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, with code spans blanked: a URL in an example is not a link."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, _CODE_SPAN.sub("``", line)))
    return out


def links(text: str) -> list[tuple[int, str]]:
    """(line number, target) of every inline, reference-style and HTML link or image."""
    found = []
    for number, line in prose_lines(text):
        for pattern in (_INLINE, _HTML):
            found.extend((number, m.group(1)) for m in pattern.finditer(line))
        m = _REFERENCE.match(line)
        if m:
            found.append((number, m.group(1)))
    return found


def slug(heading: str) -> str:
    """A heading's anchor as GitHub (and most Markdown viewers) make it: lower case, punctuation dropped, spaces
    to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)        # a link in a heading counts by its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        m = _HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def problem(source: Path, target: str) -> str | None:
    """Why a link from `source` is a dead end or leaves the repository, or None."""
    if not target:
        return "an empty link"
    if LOCAL.match(target):
        return None
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("//"):
        return "leaves the repository (only http://127.0.0.1 or localhost addresses are allowed)"
    path_part, _, anchor = target.partition("#")
    if path_part.startswith("/"):
        return "an absolute path: write it relative to this file"
    if ".." in Path(path_part).parts and not (source.parent / path_part).resolve().is_relative_to(ROOT):
        return "leaves the repository"
    resolved = (source.parent / path_part).resolve() if path_part else source
    if not resolved.is_relative_to(ROOT):
        return "leaves the repository"
    relative = resolved.relative_to(ROOT).as_posix()
    if not resolved.exists():
        if relative in EXPECTED_FROM_OTHER_BRANCHES:
            return None
        return f"names {relative}, which does not exist"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"names #{anchor}, a heading {relative} does not have"
    return None


def test_the_docs_are_there():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "docs/README.md", "docs/rules.md", "docs/api.md", "docs/operations.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_stays_in_the_repository_and_names_something_that_exists(path):
    bad = [f"{path.relative_to(ROOT)}:{number}: ({target}) {reason}"
           for number, target in links(path.read_text(encoding="utf-8"))
           if (reason := problem(path, target))]
    assert bad == []


def test_the_readme_sends_readers_to_the_docs_not_outside():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [t for _, t in links(text)]
    assert "docs/README.md" in targets or any(t.startswith("docs/") for t in targets)
    assert "../shared" not in text


# --- the checker itself: each kind of bad link is caught, and the good ones pass ---------------------------------

def _problems_of(text: str, source: Path | None = None) -> list[str | None]:
    source = source or ROOT / "docs" / "example.md"
    return [problem(source, target) for _, target in links(text)]


def test_links_that_leave_the_repository_are_caught():
    text = ("[a](../shared/design/DOMAIN.md) [b](/etc/passwd) [c](https://example.com/x) "
            "[d](file:///tmp/x) [e](//cdn.example.com/x.js) [f](mailto:a@b.c)\n"
            "[ref]: http://example.org\n<a href=\"https://example.com\">x</a>")
    found = _problems_of(text)
    assert len(found) == 8 and all(found), found


def test_a_link_to_a_missing_file_or_heading_is_caught():
    found = _problems_of("[a](nowhere.md) [b](../README.md#no-such-heading) [c](api.md#no-such-heading)")
    assert all(found), found


def test_good_links_pass_and_code_is_not_a_link():
    text = ("[a](../README.md) [b](api.md) [c](http://127.0.0.1:8000/graphql) [d](http://localhost:8000/) "
            "[e](../.env.example) `[f](https://example.com)`\n```\n[g](https://example.com)\n```\n")
    assert _problems_of(text) == [None] * 5


def test_headings_become_anchors_as_markdown_viewers_make_them():
    assert slug("CSV exports: `/export/{report}.csv`") == "csv-exports-exportreportcsv"
    assert slug("Goals (OKRs) and key results") == "goals-okrs-and-key-results"
    assert slug("Tokens & authentication") == "tokens--authentication"
