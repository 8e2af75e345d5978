"""BVSE fast path on rock-salt LiCl: barriers fall as the lattice expands (seed 002's trend)."""

import pytest

pytest.importorskip("bvlain")

from ssblab.atomistic.bvse import bvse_vs_strain  # noqa: E402
from ssblab.errors import InputError  # noqa: E402
from ssblab.materials.structures import load_structure  # noqa: E402


def test_licl_barrier_falls_with_lattice_parameter():
    atoms = load_structure("LiCl")
    res = bvse_vs_strain(atoms, scales=(5.145 / 5.1295, 5.300 / 5.1295), resolution_A=0.25)
    assert res.lattice_A[0] == pytest.approx(5.145)
    e = res.barrier_3d_eV
    assert 0.1 < e[1] < e[0] < 1.5
    # rock salt percolates in 3D at the same energy as in 1D (cubic symmetry)
    assert res.barrier_1d_eV[0] == pytest.approx(e[0], abs=1e-6)
    with pytest.raises(InputError, match="scales"):
        bvse_vs_strain(atoms, scales=(3.0,))
