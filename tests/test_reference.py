"""ssblab.reference against the independent extraction in tests/reference/seed_targets.yaml, and
no seed number written in src/ outside ssblab/reference.py."""

import ast
import math
import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

from ssblab import reference  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGETS = yaml.safe_load((ROOT / "tests/reference/seed_targets.yaml").read_text())
SRC = ROOT / "src/ssblab"

# the yaml states units in its key names; reference.py in the unit each value declares
TO_YAML_UNIT = {("1", "percent"): 100.0, ("S/cm", "mS_cm"): 1e3, ("cm", "_um"): 1e4, ("V", "_mV"): 1e3}


def _lookup(path: str):
    node = TARGETS
    for key in path.split("/"):
        keys = {str(k): k for k in node}
        assert key in keys, f"{path}: no key {key!r} in seed_targets.yaml"
        node = node[keys[key]]
    return node


def _factor(value: reference.SeedValue) -> float:
    for (unit, marker), factor in TO_YAML_UNIT.items():
        if value.unit == unit and marker in value.target:
            return factor
    return 1.0


@pytest.mark.parametrize("name", [n for n, v in reference.SEED_VALUES.items() if v.target])
def test_value_matches_the_independent_extraction(name):
    value = reference.SEED_VALUES[name]
    target = _lookup(value.target)
    expected = list(target.values()) if isinstance(target, dict) else target
    got = [x * _factor(value) for x in value.value] if isinstance(value.value, tuple) \
        else value.value * _factor(value)
    assert got == pytest.approx(expected, rel=1e-9), f"{name}: {value}"
    section = value.target.split("/")[0]
    assert TARGETS[section]["seed"].startswith(value.seed), f"{name}: seed {value.seed}"


def test_registry_is_complete_and_described():
    assert len(reference.SEED_VALUES) >= 40
    assert sum(bool(v.target) for v in reference.SEED_VALUES.values()) >= 30
    for name, value in reference.SEED_VALUES.items():
        assert value.unit and value.source and value.what, name
        assert value.seed in {"000", "001", "002", "003", "004"}, name
        assert math.isfinite(float(value.value[0] if isinstance(value.value, tuple) else value.value))
    assert {v.kind for v in reference.SEED_VALUES.values()} >= {"measured", "simulated", "calibrated"}
    with pytest.raises(ValueError):
        reference.SeedValue(1.0, "S/cm", "000", "Fig. 1", "x", kind="guessed")


# Distinctive seed numbers (a round 0.5 or 1.0 could be anything), written out here
# independently of reference.py, with the unit variants modules used to spell them.
SEED_NUMBERS = [0.937, 0.822, 6.95e-4, 1.1e-3, 4.4e-3, 1.68e-3, 0.5916, 0.8029, 0.9367, 0.241, 0.286,
                0.456, 0.086,
                425.92, 429.14, 3.09e-4, 6.37e-4, 2.95e-3, 5.145, 3.57e-3, 5.26e-3, 0.51e-3,
                897, 5.3e-13, 8.8e-4, 2800.0, 1260.0, 235.0, 156.0, 123.0, 112.0, 1.64]
# as floats, also in mS/cm and S/m; integers only where distinctive (a 241 is a byte offset)
NUMBER_VARIANTS = {x * f for x in SEED_NUMBERS for f in (1.0, 1e3, 1e2)} - {1.1, 0.11}
SEED_INTEGERS = {897, 1260}
TEXT_PATTERNS = [r"6\.95e-4", r"4\.4e-3", r"4\.4 ?mS", r"3\.57 ?mS", r"5\.26 ?mS",
                 r"0\.8029", r"0\.9367", r"425\.92", r"429\.14",
                 r"5\.145", r"3\.09e-4", r"6\.37e-4", r"2\.95e-3", r"0\.357", r"0\.526", r"3\.57e-3",
                 r"5\.26e-3", r"0\.51e-3"]


def _is_seed_number(x) -> bool:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    if isinstance(x, int):
        return x in SEED_INTEGERS
    return any(math.isclose(x, v, rel_tol=1e-12) for v in NUMBER_VARIANTS)


def _docstring_nodes(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) \
                and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant):
            yield node.body[0].value


def test_no_seed_number_in_code_outside_reference():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "reference.py" and path.parent == SRC:
            continue
        tree = ast.parse(path.read_text())
        docstrings = {id(n) for n in _docstring_nodes(tree)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or id(node) in docstrings:
                continue
            if _is_seed_number(node.value) or isinstance(node.value, str) and any(
                    re.search(rf"(?<![\d.]){p}(?!\d)", node.value) for p in TEXT_PATTERNS):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "seed numbers outside ssblab/reference.py:\n" + "\n".join(found)


def test_the_grep_sees_a_planted_number(tmp_path):
    """The check above can fail: a module with a seed number in it is caught."""
    tree = ast.parse("SIGMA = 4.4e-3\nLABEL = 'bulk 4.4 mS/cm'\n")
    values = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert _is_seed_number(values[0])
    assert any(re.search(rf"(?<![\d.]){p}(?!\d)", values[1]) for p in TEXT_PATTERNS)
