"""Seed 004's In3+ hop set-up in trigonal Li3YCl6: geometry of the end points (no potential)."""

import math

import numpy as np
import pytest

pytest.importorskip("pymatgen")
pytest.importorskip("ase")

from ase.geometry import get_distances  # noqa: E402

from ssblab.atomistic.neb import lyc_indium_hop  # noqa: E402
from ssblab.errors import InputError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Set OLD_ERROR_HANDLING:DeprecationWarning")

A, C = 11.177, 6.036  # the framework's default lattice (Li3ErCl6)
A0 = A / 3
OCT = math.sqrt(A0**2 / 3 + C**2 / 16)  # cation-anion distance of an ideal hcp octahedron


def _cl_distances(atoms, point):
    cl = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Cl"]
    return np.sort(get_distances(point, atoms.positions[cl], cell=atoms.cell, pbc=True)[1][0])


@pytest.mark.parametrize("direction, hop_A", [("in-plane", A0), ("out-of-plane", C / 2)])
def test_hop_between_two_octahedra_in_a_neutral_cell(direction, hop_A):
    initial, final, via = lyc_indium_hop(direction)
    counts = {el: initial.get_chemical_symbols().count(el) for el in ("Li", "In", "Y", "Cl")}
    assert counts == {"Li": 15, "In": 1, "Y": 6, "Cl": 36}  # 15 + 3 + 18 - 36 = 0
    m = initial.get_chemical_symbols().index("In")
    moved = np.linalg.norm(final.positions - initial.positions, axis=1)
    assert moved[m] == pytest.approx(hop_A, rel=1e-9)
    assert np.delete(moved, m).max() == 0.0
    for point in (initial.positions[m], final.positions[m]):
        cl = _cl_distances(initial, point)
        assert np.allclose(cl[:6], OCT, rtol=1e-9) and cl[6] > OCT + 0.5
    if direction == "in-plane":
        # the shared tetrahedral hole: equidistant, sqrt(a0^2/3 + c^2/64) from both octahedra,
        # four anions at the hcp tetrahedral distance around it
        tet = math.sqrt(A0**2 / 3 + C**2 / 64)
        assert np.linalg.norm(via - initial.positions[m]) == pytest.approx(tet, rel=1e-9)
        assert np.linalg.norm(via - final.positions[m]) == pytest.approx(tet, rel=1e-9)
        cl = _cl_distances(initial, via)
        assert cl[4] > cl[3] + 0.3
    else:
        assert via is None


def test_bad_direction():
    with pytest.raises(InputError, match="direction"):
        lyc_indium_hop("diagonal")


def test_cli_runs_the_band_with_a_cheap_potential(tmp_path):
    from click.testing import CliRunner

    from ssblab.cli import main

    out = tmp_path / "neb"
    res = CliRunner().invoke(main, ["neb", "lyc-indium", "--direction", "out-of-plane",
                                    "--potential", "lj", "--images", "1", "--max-steps", "2", "--fmax", "10",
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "KRA" in res.output and (out / "report.html").exists()
