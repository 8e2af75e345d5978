"""Results in notebooks and other programs: short repr, HTML, ==, strict JSON, DataFrames, CSVs."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.data import path
from ssblab.echem.impedance.fitting import fit_circuit
from ssblab.echem.io import read_spectrum
from ssblab.results import Measured, Result


def _strict_loads(text):
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def fit():
    return fit_circuit(read_spectrum(path("pellet-series")[0]), "p(R1,CPE1)-p(R2,CPE2)-CPE3")


def test_repr_is_short_and_names_the_result(fit):
    text = repr(fit)
    assert text.startswith("<CircuitFit ok") and len(text) < 300
    assert "more>" in text  # says that there is more than it shows


def test_repr_html_has_summary_table_and_figure(fit):
    html = fit._repr_html_()
    assert "<table>" in html and "<svg" in html and "R1 / ohm" in html
    failed = dataclasses.replace(fit, ok=False, reason="did not converge")
    html = failed._repr_html_()
    assert "FAILED" in html and "did not converge" in html and "<svg" not in html


def test_equality_never_raises_on_arrays(fit):
    again = fit_circuit(read_spectrum(path("pellet-series")[0]), "p(R1,CPE1)-p(R2,CPE2)-CPE3")
    assert fit == again
    changed = dataclasses.replace(fit, frequency_Hz=fit.frequency_Hz * 2)
    assert fit != changed
    assert fit != dataclasses.replace(fit, frequency_Hz=fit.frequency_Hz[:3])
    assert (fit == "something else") is False


def test_json_is_strict_and_lossless_with_nan(fit):
    odd = dataclasses.replace(fit, chi2=math.nan,
                              frequency_Hz=np.where(np.arange(fit.frequency_Hz.size) == 2,
                                                    np.inf, fit.frequency_Hz))
    text = odd.to_json()
    _strict_loads(text)  # no NaN/Infinity literals
    back = Result.from_json(text)
    assert math.isnan(back.chi2) and np.isinf(back.frequency_Hz[2])
    assert back == odd


def test_public_json_has_no_tags_and_null_for_nan(fit):
    odd = dataclasses.replace(fit, chi2=math.nan)
    data = _strict_loads(odd.to_json(public=True))
    assert data["type"] == "CircuitFit" and data["schema"] == "ssblab.result/1"
    assert data["chi2"] is None
    assert set(data["parameters"]["R1"]) == {"value", "stderr", "unit"}
    assert len(data["impedance_ohm"]["real"]) == fit.frequency_Hz.size
    assert "__" not in json.dumps(data)
    assert data["summary"][0] == {"label": "circuit", "value": fit.circuit}


def test_measured_nan_stderr_in_public_json():
    class Tiny(Result):
        pass

    Tiny = dataclasses.dataclass(frozen=True, kw_only=True)(Tiny)
    assert repr(Tiny()) == "<Tiny ok>"
    from ssblab.results import _public

    assert _public(Measured(1.0)) == {"value": 1.0, "stderr": None, "unit": ""}


def test_to_dataframe(fit):
    pytest.importorskip("pandas")
    frame = fit.to_dataframe()
    assert frame.shape[0] == 1 and "R1 / ohm" in frame.columns
    assert frame["R1 / ohm"].iloc[0] == pytest.approx(fit.parameters["R1"].value)


@pytest.mark.slow
def test_cli_json_is_strict_and_csvs_do_not_mix_tables(tmp_path):
    files = [str(p) for p in path("pellet-series")[:2]]
    res = CliRunner().invoke(main, ["eis", "fit", *files, "--circuit", "p(R1,CPE1)-p(R2,CPE2)-CPE3",
                                    "--json"])
    assert res.exit_code == 0, res.output
    data = _strict_loads(res.output)
    assert [d["type"] for d in data].count("CircuitFit") == 2 and "__" not in res.output
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["eis", "fit", *files, "--circuit", "p(R1,CPE1)-p(R2,CPE2)-CPE3",
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    # fits and Kramers-Kronig checks in two tables, each fit's data and smooth curve as CSV
    assert sorted(n for n in names if n.startswith("table")) == [
        "table_equivalent_circuit_fit.csv", "table_kramers_kronig_test_lin_kk.csv"]
    fits = (out / "table_equivalent_circuit_fit.csv").read_text().splitlines()
    kk = (out / "table_kramers_kronig_test_lin_kk.csv").read_text().splitlines()
    assert len(fits) == len(kk) == 3  # a header and one row per spectrum in each
    assert "circuit" in fits[0] and "mu" not in fits[0].split(",")
    assert "mu" in kk[0].split(",") and "circuit" not in kk[0]
    curve = (out / "curve_s04147_140c_fitted.csv").read_text().splitlines()
    assert curve[0] == "frequency_Hz,fitted_z_real_ohm,fitted_z_imag_ohm" and len(curve) > 100
    _strict_loads((out / "result.json").read_text())
