"""CHGNet loads from its wheel (no network) and behaves physically on rock-salt LiCl."""

import numpy as np
import pytest

pytest.importorskip("chgnet")
pytest.importorskip("ase")


@pytest.mark.slow
def test_chgnet_licl_symmetric_forces_and_minimum_near_experiment():
    import warnings

    from ssblab.atomistic.potentials import get_calculator
    from ssblab.materials.structures import load_structure

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch/chgnet UserWarnings are not ours
        calc = get_calculator("chgnet", device="cpu")
        energies = []
        for a in (4.9, 5.1295, 5.4):
            atoms = load_structure("LiCl")
            atoms.set_cell(atoms.cell * a / 5.1295, scale_atoms=True)
            atoms.calc = calc
            energies.append(atoms.get_potential_energy())
            # every atom sits on an inversion centre: forces vanish by symmetry
            assert np.abs(atoms.get_forces()).max() < 1e-3
    assert energies[1] < energies[0] and energies[1] < energies[2]
