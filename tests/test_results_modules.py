"""results.RESULT_MODULES names exactly the modules that define Result types (found by parsing src)."""

import ast
from pathlib import Path

import pytest

from ssblab.results import RESULT_MODULES

SRC = Path(__file__).resolve().parents[1] / "src"


def _base_name(node):
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)


def test_result_modules_are_the_modules_that_define_results():
    trees = {p: ast.parse(p.read_text()) for p in (SRC / "ssblab").rglob("*.py")}
    classes = [(p, c) for p, t in trees.items() for c in ast.walk(t) if isinstance(c, ast.ClassDef)]
    names, grew = {"Result"}, True
    while grew:  # subclasses of subclasses, by name
        new = {c.name for _, c in classes if any(_base_name(b) in names for b in c.bases)}
        grew = not new <= names
        names |= new
    found = {".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
             for p, c in classes if c.name in names}
    assert found == set(RESULT_MODULES)


def test_a_result_naming_another_module_imports_nothing():
    import sys

    from ssblab.errors import InputError
    from ssblab.results import Result

    sys.modules.pop("ssblab.cli.demo", None)
    with pytest.raises(InputError, match="unknown result type"):
        Result.from_json('{"__result__": "ssblab.cli.demo:Anything"}')
    assert "ssblab.cli.demo" not in sys.modules
