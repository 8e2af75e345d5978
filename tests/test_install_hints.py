"""Every install hint names an extra that really installs the package (and `all` exists)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import name -> distribution name where they differ
DISTRIBUTION = {"skimage": "scikit-image", "access_parser": "access-parser", "yaml": "pyyaml",
                "distributed": "dask"}  # dask[distributed] installs distributed


def _extras() -> dict[str, set[str]]:
    """Extra -> the distributions it installs, following self-references (ssblab[a,b])."""
    raw = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]

    def expand(name, seen=()):
        out = set()
        for requirement in raw[name]:
            nested = re.fullmatch(r"ssblab\[(.+)\]", requirement)
            if nested:
                for inner in nested[1].split(","):
                    if inner not in seen:
                        out |= expand(inner.strip(), (*seen, name))
            else:
                out.add(re.split(r"[<>=!~\[; ]", requirement)[0].lower())
        return out

    return {name: expand(name) for name in raw}


def _hints():
    for path in (ROOT / "src" / "ssblab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "require_package":
                module = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                extra = next((k.value.value for k in node.keywords if k.arg == "extra"), None)
                if module and extra:
                    yield path.name, module, extra


def test_install_hints_name_the_right_extra():
    extras = _extras()
    wrong = []
    for where, module, extra in _hints():
        top = module.split(".")[0]
        dist = DISTRIBUTION.get(top, top).lower()
        if extra not in extras or dist not in extras[extra]:
            wrong.append(f"{where}: {module} -> ssblab[{extra}]")
    assert not wrong, wrong
    assert len(list(_hints())) > 20


def test_all_demo_and_test_extras():
    extras = _extras()
    layers = set().union(*(extras[n] for n in ("echem", "micro", "dendrite", "atomistic", "cell",
                                               "mlip")))
    assert layers <= extras["all"] <= extras["test"]
    # the demo needs every layer but the machine-learned potentials: no torch, no CHGNet
    assert "chgnet" not in extras["demo"] and "torch" not in extras["demo"]
    assert extras["demo"] >= set().union(*(extras[n] for n in ("echem", "micro", "dendrite",
                                                                  "atomistic", "cell")))
    makefile = (ROOT / "Makefile").read_text()
    assert "DEMO_EXTRAS ?= demo" in makefile
