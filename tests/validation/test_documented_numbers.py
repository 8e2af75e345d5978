"""docs/validation.md numbers that the code must still give (fails when a documented number drifts).

Each test recomputes one documented table with the documented settings and compares it with
the numbers parsed from the markdown, at the precision printed there. Regenerate the docs
when a change moves them on purpose.
"""

import re
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def _row(first_cell: str) -> list[str]:
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"docs/validation.md has no table row starting with {first_cell!r}")


def _numbers(cell: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", cell)]


@pytest.mark.slow
def test_seed003_capture_table():
    from ssblab.workflows.multiscale import seed003_capture_study

    r = seed003_capture_study()
    model = dict(zip(r.names, r.predicted_mA_cm2))
    spread = dict(zip(r.names, r.predicted_spread_mA_cm2))
    shares = dict(zip(r.names, zip(r.area_share, r.current_share, r.attracted_share)))
    connected = dict(zip(r.names, r.connected_lgps_um))
    for name, doc_name in (("LPSC1.0-91", "LPSC1.0-91 (10 % LGPS)"), ("LPSC1.0-82", "LPSC1.0-82 (20 % LGPS)"),
                           ("LPSC1.0-73", "LPSC1.0-73 (30 % LGPS)"), ("LPSC1.25-82", "LPSC1.25-82"),
                           ("LPSC1.5-82", "LPSC1.5-82")):
        cells = _row(doc_name)
        assert shares[name] == pytest.approx(_numbers(cells[1]), abs=0.0006)
        digits = 0.006 if connected[name] < 10 else 0.06
        assert connected[name] == pytest.approx(_numbers(cells[2])[0], abs=digits)
        value, sd = _numbers(cells[4])[:2]
        assert model[name] == pytest.approx(value, abs=0.006) and spread[name] == pytest.approx(sd, abs=0.006)
    assert model["LPSC1.0"] == pytest.approx(_numbers(_row("LPSC1.0")[4])[0], abs=0.006)
    assert r.capture_rate_mA_cm2 == pytest.approx(_numbers(_row("LPSC1.0-82 (20 % LGPS)")[5])[0], abs=0.0006)
    assert all(r.trends().values())


@pytest.mark.slow
def test_seed000_rate_prediction_table():
    from ssblab.workflows.multiscale import seed000_rate_prediction

    r = seed000_rate_prediction()
    for route, doc_name in zip(r.routes, ("cold, predicted", "hot, predicted")):
        cells = _row(doc_name)
        documented = [_numbers(c)[0] for c in cells[2:8]]
        np.testing.assert_allclose(r.mean(route), documented, atol=0.51)     # printed to 1 mAh/g
    for c_rate, text in ((0.5, "0.25 +- 0.05 at 0.5 C"), (1.0, "0.27 +- 0.02 at 1 C")):
        share, sd = r.gap_share(c_rate)
        assert f"{share:.2f} +- {sd:.2f} at {c_rate:g} C" == text
        assert text in DOC.read_text()
