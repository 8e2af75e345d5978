"""Electrolyte maps, deposit metrics and the symmetric case sigma_A = sigma_B."""

import numpy as np
import pytest

from ssblab.dendrite import electrolyte as el
from ssblab.dendrite.metrics import (
    count_branches,
    front_heights_um,
    phase_fractions_of_deposit,
    phase_fractions_of_region,
)
from ssblab.dendrite.phasefield import ElectrodepositionSimulation, PhaseFieldParameters
from ssblab.dendrite.studies import run_for
from ssblab.errors import InputError


def test_particle_map_meets_fraction_and_is_reproducible():
    a = el.particle_map((50, 70), fraction=0.3, radius_um=5.0, rng=2)
    b = el.particle_map((50, 70), fraction=0.3, radius_um=5.0, rng=2)
    assert a.area_fractions()[1] == pytest.approx(0.3, abs=1.0 / a.labels.size)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_allclose(a.conductivity()[a.labels == 1], el.LGPS_S_m)


def test_voids_grain_boundaries_and_images():
    base = el.uniform_map((60, 60))
    voided = el.add_voids(base, fraction=0.1, radius_um=4.0, rng=1)
    assert voided.names[-1] == "void" and voided.conductivity_S_m[-1] == 0.0
    assert voided.area_fractions()[-1] == pytest.approx(0.1, abs=0.01)
    gb = el.add_grain_boundaries(base, grain_size_um=15.0, width_um=1.0, rng=1)
    assert 0.03 < gb.area_fractions()[-1] < 0.4
    assert gb.conductivity_S_m[-1] == pytest.approx(0.1 * el.LPSC_S_m)
    grey = np.linspace(0, 1, 100).reshape(10, 10)
    emap = el.image_map(grey, conductivity_S_m=(0.3, 0.5))
    assert set(np.unique(emap.labels)) == {0, 1}
    with pytest.raises(InputError, match="expected values 0..1"):
        el.ElectrolyteMap(np.full((4, 4), 2, dtype=np.int8), (0.1, 0.2), ("a", "b"))
    with pytest.raises(InputError, match="file not found"):
        el.image_map("/nonexistent/map.png", conductivity_S_m=(0.3, 0.5))


def test_damaged_image_is_an_input_error(tmp_path):
    (tmp_path / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    np.save(tmp_path / "map.npy", np.zeros((2, 3, 4, 5)))
    for name, words in [("map.png", "not readable"), ("map.npy", "expected a 2D or 3D array")]:
        with pytest.raises(InputError, match=words):
            el.image_map(tmp_path / name, conductivity_S_m=(0.3, 0.5))


def test_metrics_on_a_hand_made_deposit():
    xi = np.zeros((20, 12))
    xi[:5] = 1.0
    xi[:12, 2] = 1.0
    xi[:9, 7:9] = 1.0
    assert front_heights_um(xi, 1.0).max() == pytest.approx(12.0)
    assert count_branches(xi, 1.0, above_um=6.0) == 2
    labels = np.zeros((20, 12), dtype=np.int8)
    labels[:, 6:] = 1
    initial = np.zeros_like(xi)
    initial[:5] = 1.0
    li = phase_fractions_of_deposit(xi, initial, labels, 2)
    assert li.tolist() == pytest.approx([7 / 15, 8 / 15])
    flat = initial.copy()
    flat[5:7] = 1.0  # a flat advance fills each row's phases in proportion
    np.testing.assert_allclose(phase_fractions_of_deposit(flat, initial, labels, 2),
                               phase_fractions_of_region(flat, initial, labels, 2))


def test_equal_conductivities_show_no_preference_on_average():
    # with sigma_A = sigma_B the labels are invisible to the physics, so across particle
    # arrangements the deposit's preference for A must scatter around 1
    params = PhaseFieldParameters(exchange_current_density_mA_cm2=100.0)
    emap = el.uniform_map((48, 48))
    sim = ElectrodepositionSimulation(emap, parameters=params, current_density_mA_cm2=2.0,
                                      film_thickness_um=8.0, roughness_um=1.0, solver="fft", rng=4)
    run_for(sim, 1.5)
    prefs = []
    for seed in range(12):
        labels = el.particle_map((48, 48), fraction=0.2, radius_um=4.0, rng=seed).labels
        li = phase_fractions_of_deposit(sim.xi, sim.xi_initial, labels, 2)
        base = phase_fractions_of_region(sim.xi, sim.xi_initial, labels, 2)
        prefs.append(li[1] / base[1])
    prefs = np.array(prefs)
    assert abs(prefs.mean() - 1.0) < 3 * prefs.std(ddof=1) / np.sqrt(len(prefs)) + 0.01


@pytest.mark.parametrize("shape, radius_um", [((40, 60), 4.0), ((20, 12, 14), 3.0), ((16, 5), 9.0)])
def test_particle_map_equals_the_whole_grid_construction(shape, radius_um):
    """The generator looks only at each disc's bounding box; the same discs drawn over the
    whole grid (distances to every cell, periodic in x) give the same labels."""
    from ssblab.dendrite.electrolyte import particle_map

    emap = particle_map(shape, fraction=0.3, radius_um=radius_um, rng=4)
    rng = np.random.default_rng(4)
    labels = np.zeros(shape, dtype=np.int8)
    target = int(round(0.3 * labels.size))
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    while np.count_nonzero(labels) < target:
        centre = [rng.uniform(0, n) for n in shape]
        d2 = np.zeros(shape)
        for axis, (g, c) in enumerate(zip(grids, centre)):
            delta = np.abs(g + 0.5 - c)
            if axis == len(shape) - 1:
                delta = np.minimum(delta, shape[-1] - delta)
            d2 += delta**2
        disc = (d2 <= radius_um**2) & (labels == 0)
        missing = target - np.count_nonzero(labels)
        if np.count_nonzero(disc) > missing:
            idx = np.flatnonzero(disc)
            disc = np.zeros(shape, dtype=bool)
            disc.ravel()[idx[np.argsort(d2.ravel()[idx], kind="stable")[:missing]]] = True
        labels[disc] = 1
    np.testing.assert_array_equal(emap.labels, labels)
