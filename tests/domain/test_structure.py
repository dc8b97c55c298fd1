"""The code's shape, read from the source with `ast` (nothing is imported): no import cycle among our modules
(imports inside functions count: they only hide a cycle), no private `_name` imported from another module, and
pure `rules.py` files (no ORM, no GraphQL, no HTTP)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "schema", "domain")
IMPURE = ("tortoise", "strawberry", "starlette")  # and our ORM models (any `models` module of ours)

# Known and being fixed on another branch: remove an entry once that branch is merged (the test then holds it).
ALLOWED_CYCLES: set[frozenset[str]] = set()
ALLOWED_PRIVATE_IMPORTS: set[tuple[str, str]] = set()


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Our modules by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _known(name: str, known: dict) -> str | None:
    """The longest dotted prefix of `name` that is one of our modules."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str, path: Path, known: dict) -> list[tuple[str, str, int]]:
    """(module imported, name imported from it or "", line) for every import anywhere in the file (functions
    included), absolute or relative, of our modules only."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _known(alias.name, known)) is not None:
                    out.append((target, "", node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in known:  # a module of a package
                    out.append((f"{base}.{alias.name}", "", node.lineno))
                elif (target := _known(base, known)) is not None:
                    out.append((target, alias.name, node.lineno))
    return out


def import_graph(known: dict) -> dict[str, set[str]]:
    return {name: {target for target, _, _ in imports(name, path, known) if target != name}
            for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(frozenset(group))
    return groups


def private_imports(known: dict) -> list[tuple[str, str, int]]:
    """(importing module, module.name, line) for each `from other import _name` between two of our modules."""
    return [(name, f"{target}.{imported}", line)
            for name, path in known.items()
            for target, imported, line in imports(name, path, known)
            if imported.startswith("_") and not imported.startswith("__") and target != name]


def impure_imports(path: Path, known: dict) -> list[tuple[str, int]]:
    """What a rules.py imports that it must not: tortoise, strawberry, starlette, or one of our `models` modules."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names] \
            if isinstance(node, ast.ImportFrom) and not node.level else []
        bad = [n for n in names if n.split(".")[0] in IMPURE or (n.split(".")[-1] == "models" and n in known)]
        if bad:
            out.append((bad[0], node.lineno))
    return out


# --- the rules ----------------------------------------------------------------------------------------------------

def test_no_import_cycle_among_our_modules():
    found = [sorted(group) for group in cycles(import_graph(modules())) if group not in ALLOWED_CYCLES]
    assert found == [], f"import cycles (imports inside functions count): {found}"


def test_no_private_name_is_imported_from_another_module():
    found = [(who, what, line) for who, what, line in private_imports(modules())
             if (who, what) not in ALLOWED_PRIVATE_IMPORTS]
    assert found == [], f"make these public or move them where they are used: {found}"


def test_rules_modules_import_no_orm_graphql_or_http():
    known = modules()
    found = {name: bad for name, path in known.items() if path.name == "rules.py"
             and (bad := impure_imports(path, known))}
    assert found == {}, f"rules.py files are pure: {found}"


def test_the_allow_lists_name_only_what_is_still_there():
    """An entry whose cycle or import is gone (the other branch merged) is deleted, so it cannot hide a new one."""
    known = modules()
    assert ALLOWED_CYCLES <= set(cycles(import_graph(known)))
    assert ALLOWED_PRIVATE_IMPORTS <= {(who, what) for who, what, _ in private_imports(known)}


# --- the checks themselves, on made-up packages ----------------------------------------------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return modules(tmp_path)


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    known = _tree(tmp_path, {
        "domain/__init__.py": "", "domain/a.py": "from domain import b\n",
        "domain/b.py": "def f():\n    from domain.a import g\n", "domain/c.py": "import domain.a\n"})
    assert cycles(import_graph(known)) == [frozenset({"domain.a", "domain.b"})]


def test_a_relative_import_cycle_is_found(tmp_path):
    known = _tree(tmp_path, {
        "schema/__init__.py": "", "schema/x/__init__.py": "", "schema/x/a.py": "from .b import thing\n",
        "schema/x/b.py": "from ..x import a\n"})
    assert cycles(import_graph(known)) == [frozenset({"schema.x.a", "schema.x.b"})]


def test_private_names_across_modules_are_found_but_not_dunders_or_own(tmp_path):
    known = _tree(tmp_path, {
        "api/__init__.py": "", "api/a.py": "from api.b import _hidden, public, __version__\n",
        "api/b.py": "_hidden = public = __version__ = 1\n"})
    assert private_imports(known) == [("api.a", "api.b._hidden", 1)]


def test_a_rules_module_importing_the_orm_or_models_is_found(tmp_path):
    known = _tree(tmp_path, {
        "domain/__init__.py": "", "domain/x/__init__.py": "", "domain/x/models.py": "",
        "domain/x/rules.py": "import math\nfrom tortoise import fields\n\ndef f():\n"
                             "    from domain.x.models import Thing\n    from domain.x import models\n"})
    path = known["domain.x.rules"]
    assert [line for _, line in impure_imports(path, known)] == [2, 5, 6]
