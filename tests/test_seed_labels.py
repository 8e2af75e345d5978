"""Every model number set beside a seed number says whether it was fitted or predicted.

Walks the seed comparisons that the result objects, the CLI summaries and the HTML reports
show, and checks each carries its status and the seed's value.
"""

import re

import numpy as np
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.comparisons import SeedComparison
from ssblab.errors import InputError

SEED_VALUE = re.compile(r"seed \d{3}: [-\d.]")
LABEL = re.compile(r"\[(predicted|fitted to [^;]+); seed \d{3}: [-\d.eE+]+\]")


def _check(result):
    """Each comparison of ``result`` is labelled in the object, its summary and its text."""
    comparisons = result.seed_comparisons()
    assert comparisons
    text = str(result)
    for c in comparisons:
        assert c.status == "predicted" or c.status.startswith("fitted to ")
        assert np.isfinite(c.model) and np.isfinite(c.measured)
        assert c.label in text
    lines = [line for line in text.splitlines() if SEED_VALUE.search(line)]
    assert lines and all(LABEL.search(line) for line in lines), lines
    return comparisons


def test_status_must_say_fitted_or_predicted():
    with pytest.raises(InputError, match="fitted to"):
        SeedComparison(seed="seed 003", quantity="CCD", model=1.0, measured=2.1, status="calibrated")
    with pytest.raises(InputError):
        SeedComparison(seed="seed 003", quantity="CCD", model=1.0, measured=2.1, status="fitted")


def test_seed004_symmetric_fitted_li_predicted_li_in():
    from ssblab.cell import symmetric_model as sym
    from ssblab.cell.studies import seed004_symmetric_comparisons

    runs = [sym.galvanostatic_cycling(make(), current_mA_cm2=0.2, duration_h=80)
            for make in (sym.seed004_li_cell, sym.seed004_li_in_cell)]
    items = _check(seed004_symmetric_comparisons(*runs))
    assert {c.quantity.split()[0]: c.fitted for c in items} == {"Li": True, "Li-In": False}


def test_seed001_at_its_own_pellet_is_a_prediction():
    from ssblab.cell.life import SEED001_SEPARATOR_CM, seed001_comparisons

    fitted, predicted = _check(seed001_comparisons())
    assert fitted.fitted and fitted.model == pytest.approx(fitted.measured, rel=1e-9)  # by construction
    assert not predicted.fitted and f"{1e4 * SEED001_SEPARATOR_CM:.0f} um" in predicted.quantity
    assert predicted.model > predicted.measured          # the 621 um pellet is crossed later


def test_cli_summaries_and_reports_carry_the_labels(tmp_path):
    runner = CliRunner()
    cases = {"symmetric": ["cell", "symmetric", "--duration", "80 h"],
             "life": ["cell", "life", "--dendrite", "seed001", "--cycles", "20"],
             "ccd-study": ["dendrite", "ccd-study", "--generator-seed", "0", "--size", "32"]}
    for name, args in cases.items():
        res = runner.invoke(main, [*args, "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        lines = [line for line in res.output.splitlines() if SEED_VALUE.search(line)]
        assert len(lines) >= 2 and all(LABEL.search(line) for line in lines), lines
        html = (tmp_path / name / "report.html").read_text()
        assert html.count("[predicted; seed 00") >= 1 and html.count("[fitted to ") >= 1
        if name == "life":   # the life run defaults to seed 001's own separator with its dendrite law
            assert "621" in res.output


def test_symmetric_ccd_from_a_fitted_speed_says_so():
    res = CliRunner().invoke(main, ["cell", "symmetric", "--electrode", "li", "--duration", "2 h", "--ccd"])
    assert res.exit_code == 0, res.output
    assert "not a prediction of any measured CCD" in res.output


def test_seed000_rate_study_labels_fit_and_prediction():
    from ssblab.cell.studies import seed000_rate_study

    items = _check(seed000_rate_study(diffusivities_cm2_s=(4e-11,)))
    fitted = [c for c in items if c.fitted]
    assert fitted and all(c.quantity.startswith("hot") for c in fitted)      # only the hot table is fitted
    assert any(c.quantity.startswith("cold") and not c.fitted for c in items)


@pytest.mark.slow
def test_seed000_pipeline_labels_and_spreads():
    from ssblab.workflows.multiscale import seed000_pipeline

    cold, hot = seed000_pipeline(n_cycles=10, shape=(24, 24, 24), generator_seeds=(0, 1))
    for run in (cold, hot):
        _check(run)
        assert run.generator_seeds == (0, 1)
        assert all(len(v) == 2 for v in run.seed_values.values())
    ccd = {c.quantity.split()[0]: c for c in cold.seed_comparisons() + hot.seed_comparisons()
           if "CCD" in c.quantity}
    assert ccd["cold"].fitted and not ccd["hot"].fitted


def test_phasefield_ccd_study_rows_are_labelled():
    from ssblab.dendrite.ccd import CCDStudyResult, PhaseFieldCCD, SEED003_CCD_mA_cm2

    steps = np.array([0.1, 0.3, 0.5])
    runs = tuple(PhaseFieldCCD(label=label, current_steps_mA_cm2=steps, penetration_um=np.zeros(3),
                               failure_penetration_um=10.0, ccd_mA_cm2=ccd, failed=failed)
                 for label, ccd, failed in (("LPSC (homogeneous)", 0.5, True), ("10 % LGPS", np.nan, False),
                                            ("20 % LGPS", np.nan, False)))
    study = CCDStudyResult(labels=tuple(r.label for r in runs), ccd_mA_cm2=np.array([0.5, np.nan, np.nan]),
                           failed=np.array([True, False, False]), runs=runs,
                           measured_mA_cm2=dict(SEED003_CCD_mA_cm2))
    items = _check(study)
    assert len(items) == 3 and not any(c.fitted for c in items)
    assert "no failure" in items[1].quantity


def test_density_study_rows_are_labelled():
    from ssblab.microstructure.studies import DensityStudy

    study = DensityStudy(relative_density=np.array([0.6, 0.8, 0.95]),
                         sigma_eff_S_cm=np.array([1e-3, 2e-3, 4e-3]),
                         tortuosity_factor=np.ones(3), connected_fraction=np.ones(3),
                         model_at_measured_S_cm=np.array([1.5e-3, 2.6e-3, 3.8e-3]))
    items = _check(study)
    assert len(items) == 3 and not any(c.fitted for c in items)


def test_mixture_study_rows_are_labelled_predicted_beside_the_host():
    from ssblab.microstructure.studies import LGPS_S_cm, LPSC_S_cm, MixtureStudy

    fields = dict(mass_fraction_lgps=np.array([0.1, 0.2]), volume_fraction_lgps=np.array([0.09, 0.19]),
                  sigma_eff_S_cm=np.array([3.7e-3, 3.85e-3]), current_share_lgps=np.array([0.11, 0.22]),
                  anode_area_share_lgps=np.array([0.07, 0.15]),
                  anode_current_share_lgps=np.array([0.09, 0.19]),
                  hot_spot_top1_share=np.array([0.02, 0.02]), parallel_share_lgps=np.array([0.13, 0.25]),
                  densities_g_cm3=(1.87, 2.04))
    items = _check(MixtureStudy(**fields, conductivities_S_cm=(LPSC_S_cm, LGPS_S_cm)))
    assert len(items) == 2 and not any(c.fitted for c in items)
    assert [c.model for c in items] == pytest.approx([3.7, 3.85]) and {c.measured for c in items} == {3.57}
    # other phases than seed 003's: nothing to set beside a seed number
    other = MixtureStudy(**fields, conductivities_S_cm=(1e-3, 1e-2))
    assert other.seed_comparisons() == [] and "seed 003:" not in str(other)


def test_demo_arrhenius_pair_is_fitted_to_synthetic_spectra():
    from ssblab.report import Report
    from ssblab.workflows.demo import arrhenius_stage

    results = arrhenius_stage(Report("t"))
    items = _check(results["li3incl6 seed 000 comparison"])
    assert len(items) == 4 and all(c.fitted and "synthetic spectra" in c.status for c in items)
    # the round trip returns the seed's numbers (0.5 % noise on the spectra)
    assert all(c.relative_error == pytest.approx(0.0, abs=0.05) for c in items)
