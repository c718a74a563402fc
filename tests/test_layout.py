"""The house's rules, read from the source with `ast` (no import runs): no import cycle among station's modules,
counting imports inside functions and type-only imports (a circle a type closes is still a circle to read); faces
go through the Session; an import inside a function says why it is there."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

STATION = Path(__file__).resolve().parent.parent / "station"


def modules() -> dict[str, Path]:
    found = {}
    for path in STATION.rglob("*.py"):
        parts = list(path.relative_to(STATION.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every station module this one names in an import statement, wherever the statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def add(candidate: str) -> None:
        while candidate and candidate not in known:  # `from station.erase import plan` names a module; else a name
            candidate = candidate.rpartition(".")[0]
        if candidate and candidate != name and not name.startswith(candidate + "."):  # a package's own __init__
            targets.add(candidate)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                add(f"{base}.{alias.name}")
    return targets


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_detector_finds_a_circle() -> None:
    """Synthetic graphs (not station's): the check must be able to fail."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_are_resolved_to_modules() -> None:
    edges = graph()
    assert "station.certify.certificate" in edges["station.certify.issue"]
    assert "station.certify.pdf" in edges["station.certify.issue"]  # an import inside a function counts
    assert "station.certify.certificate" in edges["station.certify.pdf"]  # so does a type-only one


def test_no_import_cycle_among_station_modules() -> None:
    assert cycles(graph()) == []


def test_every_declared_dependency_is_imported() -> None:
    """The design card's rule: a declared dependency is used or removed (psutil and pySMART were removed)."""
    import tomllib

    project = tomllib.loads((STATION.parent / "pyproject.toml").read_text())["project"]
    imported: set[str] = set()
    for path in STATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    for requirement in project["dependencies"]:
        name = requirement.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip()
        assert name.lower() in imported, f"{name} is declared but station never imports it"



# import name -> distribution name, where the two differ
DISTRIBUTION_OF = {"ninja": "django-ninja", "django_stubs_ext": "django-stubs-ext"}


def test_every_imported_package_is_declared() -> None:
    """The other half of the rule: a package imported by station, the registry, the benches or the tests is
    declared, so a fresh `scripts/setup` installs it (bench/registry_ingest.py once imported psutil after it
    was removed from the dependencies, and failed on a fresh machine)."""
    import sys
    import tomllib

    root = STATION.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = {requirement.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower()
                for group in (project["dependencies"], *project["optional-dependencies"].values())
                for requirement in group}
    sources = [path for folder in ("station", "registry", "bench", "tests") for path in (root / folder).rglob("*.py")
               if "fixtures" not in path.parts]
    local = {path.stem for path in sources} | {path.parent.name for path in sources}
    undeclared = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in local or top == "station":
                    continue
                if DISTRIBUTION_OF.get(top, top).lower().replace("_", "-") not in declared:
                    undeclared.add(f"{top} ({path.relative_to(root)})")
    assert not undeclared, f"imported but not declared in pyproject.toml: {sorted(undeclared)}"

# The faces (CLI commands, TUI, demo) go through the Session to plan and run: from the planning and execution
# package (station.erase) they may import only what they show, never what acts. Stated precisely: every name a
# face imports from a station.erase module is a class defined there (a type: EraseJob, Progress, ErasePlan...),
# an UPPER_CASE constant, or one of the plan's renderers; importing a station.erase module itself, or a function
# that plans or runs (plan_purge, execute, resolve_disk, capabilities.probe, choose...), is refused.
# station.erase.blockio is the I/O boundary a face hands the Session (an Opener, like a Host), so it is exempt.
FACE_PREFIXES = ("station.cli", "station.commands", "station.tui", "station.demo")
RENDERERS = frozenset({"plan_lines", "human_size"})
BOUNDARY = "station.erase.blockio"


def shown_names(path: Path) -> set[str]:
    """Classes and UPPER_CASE constants a module defines at its top level."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())
    return names


def face_violations(name: str, source: str, known: dict[str, Path]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{name}: import {a.name}" for a in node.names
                      if a.name.startswith("station.erase") and not a.name.startswith(BOUNDARY)]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("station.erase") \
                and not (node.module or "").startswith(BOUNDARY):
            module = node.module or ""
            for alias in node.names:
                if f"{module}.{alias.name}" in known:
                    found.append(f"{name}: from {module} import {alias.name} (a module)")
                elif alias.name not in RENDERERS and alias.name not in shown_names(known[module]):
                    found.append(f"{name}: from {module} import {alias.name} (acts: go through the Session)")
    return found


def test_the_face_rule_catches_a_face_that_plans_by_itself() -> None:
    """Synthetic face sources (not station's): the check must be able to fail."""
    known = modules()
    assert face_violations("x", "from station.erase.plan import plan_purge", known)
    assert face_violations("x", "from station.erase import plan as planning", known)
    assert face_violations("x", "def f():\n    from station.erase.purge.capabilities import probe", known)
    assert not face_violations("x", "from station.erase.plan import ErasePlan, plan_lines, OVERWRITE_METHODS", known)
    assert not face_violations("x", "from station.erase.blockio import throttled_opener", known)


def test_faces_do_not_plan_or_execute_by_themselves() -> None:
    known = modules()
    faces = {n: p for n, p in known.items() if n.startswith(FACE_PREFIXES)}
    assert "station.commands.wipe" in faces and "station.tui.screens.plan_screen" in faces
    assert [v for n, p in sorted(faces.items()) for v in face_violations(n, p.read_text(), known)] == []


# An import inside a function is there to keep a start-up path (`station --help`, a wipe, the TUI) from loading what
# it does not use, and says which: a comment on the import's line, or on the line just above its block of imports.
def unexplained_local_imports(name: str, source: str) -> list[str]:
    comments: set[int] = set()  # lines that carry a comment
    alone: set[int] = set()  # lines that are nothing but a comment
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments.add(token.start[0])
            if not token.line[: token.start[1]].strip():
                alone.add(token.start[0])
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            for field in ("body", "orelse", "finalbody"):  # every statement list, so each block is seen once
                statements = getattr(node, field, None)
                if not isinstance(statements, list):  # a lambda's body is one expression
                    continue
                block: list[ast.stmt] = []
                for statement in [*statements, None]:
                    if isinstance(statement, ast.Import | ast.ImportFrom):
                        block.append(statement)
                        continue
                    if block and block[0].lineno - 1 not in alone:
                        found += [f"{name}:{i.lineno}: {ast.unparse(i)}" for i in block
                                  if not comments & set(range(i.lineno, (i.end_lineno or i.lineno) + 1))]
                    block = []
    return sorted(set(found))


def test_the_local_import_rule_catches_an_unexplained_one() -> None:
    """Synthetic sources (not station's): the check must be able to fail."""
    assert unexplained_local_imports("x", "def f():\n    import json\n    return json") == ["x:2: import json"]
    assert unexplained_local_imports("x", "def f():\n    try:\n        import a\n    except E:\n        import b\n")
    assert unexplained_local_imports("x", "def f():\n    import a  # slow\n    import b\n") == ["x:3: import b"]
    assert unexplained_local_imports("x", "def f():\n    # slow: only here\n    import a\n\n    import b\n") == []
    assert unexplained_local_imports("x", "def f():\n    import a  # slow\n") == []
    assert unexplained_local_imports("x", "import json\ndef f():\n    return json") == []


def test_every_import_inside_a_function_says_why() -> None:
    found = [v for n, p in sorted(modules().items()) for v in unexplained_local_imports(n, p.read_text())]
    assert found == []
