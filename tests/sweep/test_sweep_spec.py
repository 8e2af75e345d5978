"""Specs: units, seeds, and clear refusals (a spec names a registered study, never code)."""

import pytest

from ssblab.errors import InputError
from ssblab.sweep import load_spec, shipped_specs


def spec(**fields):
    return {"study": "synthetic.arrhenius", "grid": {"temperature_K": [300, 400]}, **fields}


def test_quantities_are_converted_to_the_parameter_unit():
    s = load_spec(spec(grid={"temperature_K": ["25 degC", "1000 mK", 310]},
                       fixed={"activation_energy_eV": "100 meV"}))
    points = s.expand()
    assert [p.params["temperature_K"] for p in points] == pytest.approx([298.15, 1.0, 310.0])
    assert points[0].params["activation_energy_eV"] == pytest.approx(0.1)


def test_grid_and_points_combine_and_duplicates_run_once():
    s = load_spec(spec(points=[{"temperature_K": 500}, {"temperature_K": 300}]))
    assert [p.params["temperature_K"] for p in s.expand()] == [300, 400, 500]


def test_per_point_seeds_do_not_depend_on_the_other_points():
    small = {p.params["temperature_K"]: p.seed for p in load_spec(spec()).expand()}
    large = {p.params["temperature_K"]: p.seed
             for p in load_spec(spec(grid={"temperature_K": [200, 400, 300]})).expand()}
    assert small[300] == large[300] and small[400] == large[400]
    assert len(set(large.values())) == 3
    other_base = {p.params["temperature_K"]: p.seed for p in load_spec(spec(seed=1)).expand()}
    assert other_base[300] != small[300]


def test_same_seed_policy_and_replicates():
    points = load_spec(spec(seed={"base": 7, "policy": "same", "replicates": 2})).expand()
    assert [(p.seed, p.replicate) for p in points] == [(7, 0), (8, 1), (7, 0), (8, 1)]


@pytest.mark.parametrize("fields, message", [
    ({"study": "os.system"}, "study: unknown value 'os.system'"),
    ({"study": "synthetic.arhenius"}, "did you mean 'synthetic.arrhenius'"),
    ({"grids": {}}, "field: unknown value 'grids'"),
    ({"grid": {"temperature_K": ["3 m"]}}, "grid.temperature_K"),
    ({"grid": {"temperature": [300]}}, "parameter: unknown value 'temperature'"),
    ({"grid": {"temperature_K": []}}, "non-empty list"),
    ({"record": ["sigma"]}, "record: unknown value 'sigma'"),
    ({"seed": {"policy": "random"}}, "seed.policy"),
    ({"executor": {"kind": "slurm"}}, "executor.kind"),
    ({"executor": {"cluster": "local:0"}}, "local:N"),
])
def test_bad_specs_are_refused_naming_the_field(fields, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_spec(spec(**fields))


def test_a_potential_cannot_name_code_to_import():
    with pytest.raises(InputError, match="potential: unknown value 'os:system'"):
        load_spec({"study": "atomistic.vacancy_md",
                   "points": [{"composition": "pristine", "temperature_K": 600,
                               "potential": "os:system"}]})


def test_yaml_files_and_shipped_specs_load(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("study: synthetic.arrhenius\ngrid: {temperature_K: [300]}\n")
    assert load_spec(path).expand()[0].params["temperature_K"] == 300.0
    (tmp_path / "bad.yaml").write_text("study: [unclosed\n")
    with pytest.raises(InputError, match="bad.yaml: not valid YAML"):
        load_spec(tmp_path / "bad.yaml")
    with pytest.raises(InputError, match="no such file"):
        load_spec(tmp_path / "missing.yaml")
    names = shipped_specs()
    assert {"seed000-density", "seed000-vacancy-md", "seed000-fastpath", "seed003-mixtures",
            "seed003-contrast", "seed003-ccd", "seed000-cell-rate", "seed000-cell-life"} <= set(names)
    for name in names:
        assert load_spec(name).expand()


def test_the_same_quantity_in_other_units_is_the_same_point():
    a = load_spec({"study": "cell.rate", "grid": {"c_rate": [1], "lic_thickness_cm": ["100 um"]}})
    b = load_spec({"study": "cell.rate", "grid": {"c_rate": [1], "lic_thickness_cm": [0.01]}})
    assert a.expand()[0].params == b.expand()[0].params
    assert a.expand()[0].seed == b.expand()[0].seed
