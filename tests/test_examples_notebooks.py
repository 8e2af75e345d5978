"""The example notebooks run top to bottom, each cell's last expression displayed as Jupyter would.

Executed without a Jupyter kernel: the code cells run in one namespace and the value of a cell's
last expression goes through ``_repr_html_`` when it has one, as the notebook front end does.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def run_notebook(path: Path) -> list:
    """Run the code cells of ``path``; return the displayed value of each cell (or None)."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    shown = []
    for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]), filename=f"{path.name} cell {number}")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f"{path.name} cell {number}", "exec"), namespace)
        value = None
        if last is not None:
            value = eval(compile(ast.Expression(last.value), path.name, "eval"), namespace)
            if hasattr(value, "_repr_html_"):
                assert value._repr_html_()  # what Jupyter would display
        shown.append(value)
        plt.close("all")
    return shown


def test_there_are_two_notebooks():
    assert {p.name for p in NOTEBOOKS} >= {"impedance_series.ipynb", "cycling.ipynb"}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shown = run_notebook(notebook)
    from ssblab.results import Result

    results = [v for v in shown if isinstance(v, Result)]
    assert results and all(r.ok for r in results), [repr(r) for r in results]
    if notebook.name == "impedance_series.ipynb":
        study = next(v for v in shown if type(v).__name__ == "ConductivityStudy")
        # 6 of 7 temperatures fitted: at 200 C the bulk arc's apex lies above the 1 MHz top and
        # is not resolved (docs/eis.md); a thermally activated conductor (0.3-1.2 eV is every
        # oxide, phosphate or sulfide ion conductor measured at 140-200 C)
        assert [bool(f) for f in study.fits] == [True] * 6 + [False]
        assert "not resolved" in study.fits[-1].reason
        assert 0.3 < study.arrhenius.activation_energy_eV.value < 1.2
    else:
        summary = next(v for v in shown if type(v).__name__ == "CycleSummary")
        assert summary.to_dataframe().shape[0] == 18
