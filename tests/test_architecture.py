"""Imports point only downwards: core < layers < workflows < cli (read from the source with ast).

Every import inside ``src/ssblab``, at module level or inside a function, is an edge from the
importing package to the imported one. An edge is allowed when it goes to a lower rank, stays
inside one package, or is one of the sideways edges between layers listed here.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src/ssblab"

#: rank of each top-level module or package of ssblab (lower ranks are imported by higher ones)
CORE = ("", "_version", "errors", "units", "results", "files", "progress", "dynamics", "arrhenius_line",
        "reference", "report", "data", "comparisons", "backend")
LAYERS = ("echem", "microstructure", "atomistic", "materials", "dendrite", "cell")
RANK = {**dict.fromkeys(CORE, 0), **dict.fromkeys(LAYERS, 1), "workflows": 2, "sweep": 3, "runs": 4,
        "cli": 5}

#: sideways edges between layers, each with its reason
SIDEWAYS = {
    ("atomistic", "materials"): "atomistic runs on the structures, frameworks and orderings of materials",
    ("cell", "echem"): "cell models write CyclerData, the echem data contract",
    ("cell", "materials"): "cell models may use materials.data (molar masses, densities, costs)",
}
#: order inside the core: the package root re-exports, report (HTML) is the top
CORE_ORDER = {"": 5, "_version": 0, "errors": 0, "units": 1, "results": 2, "files": 1, "progress": 1,
              "dynamics": 3, "arrhenius_line": 3, "reference": 0, "report": 4, "data": 0,
              "comparisons": 3, "backend": 1}


def _module_name(path: Path, root: Path) -> list[str]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def import_edges(root: Path = SRC):
    """(importer module, imported module, line) for every ssblab import under ``root``."""
    edges = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        package = module if path.name == "__init__.py" else module[:-1]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    targets = [".".join(base + ([node.module] if node.module else []))]
                else:
                    targets = [node.module or ""]
            else:
                continue
            edges += [(".".join(module), t, node.lineno) for t in targets
                      if t == "ssblab" or t.startswith("ssblab.")]
    return edges


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def upward_imports(edges):
    bad = []
    for importer, imported, line in edges:
        a, b = _top(importer), _top(imported)
        assert a in RANK, f"{importer}: package {a!r} has no rank in tests/test_architecture.py"
        assert b in RANK, f"{imported}: package {b!r} has no rank in tests/test_architecture.py"
        if a == b or (a, b) in SIDEWAYS or RANK[b] < RANK[a]:
            continue
        if RANK[a] == RANK[b] == 0 and CORE_ORDER[b] <= CORE_ORDER[a]:
            continue
        bad.append(f"{importer}:{line} imports {imported} ({a or 'ssblab'} -> {b or 'ssblab'})")
    return bad


def test_no_upward_or_unlisted_sideways_import():
    edges = import_edges()
    assert len(edges) > 300  # the walk really sees the package
    bad = upward_imports(edges)
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_no_two_layers_import_each_other():
    pairs = {(_top(a), _top(b)) for a, b, _ in import_edges() if _top(a) != _top(b)}
    mutual = sorted((a, b) for a, b in pairs if (b, a) in pairs and a < b)
    assert not mutual, f"mutual imports between packages: {mutual}"


@pytest.mark.parametrize("source, expected", [
    ("from ssblab.workflows.vacancy_md import X\n", "atomistic -> workflows"),
    ("from ssblab.cli.pipeline import report\n", "atomistic -> cli"),
    ("import ssblab.dendrite.ccd\n", "atomistic -> dendrite"),
    ("from ..workflows import demo\n", "atomistic -> workflows"),
])
def test_the_check_catches_a_planted_upward_import(tmp_path, source, expected):
    package = tmp_path / "ssblab" / "atomistic"
    package.mkdir(parents=True)
    (package / "planted.py").write_text(source)
    bad = upward_imports(import_edges(tmp_path / "ssblab"))
    assert bad and expected in bad[0]


def test_allowed_directions_pass():
    edges = [("ssblab.workflows.demo", "ssblab.cell.full", 1), ("ssblab.cli.md", "ssblab.workflows.x", 1),
             ("ssblab.atomistic.neb", "ssblab.materials.prototypes", 1),
             ("ssblab.cell.life", "ssblab.reference", 1)]
    assert upward_imports(edges) == []


def _packages():
    return sorted(".".join(_module_name(p, SRC)) for p in SRC.rglob("__init__.py"))


@pytest.mark.parametrize("package", _packages())
def test_every_package_states_its_api_the_same_way(package):
    """A docstring, and a sorted ``__all__`` whose every name the package really has."""
    import importlib

    module = importlib.import_module(package)
    assert module.__doc__ and module.__doc__.strip(), f"{package}: no docstring"
    assert isinstance(getattr(module, "__all__", None), list), f"{package}: no __all__ list"
    assert module.__all__ == sorted(module.__all__), f"{package}: __all__ not sorted"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}: __all__ names {missing} it does not have"
