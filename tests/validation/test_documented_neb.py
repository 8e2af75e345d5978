"""The seed-004 In3+ hop barriers in docs/validation.md must be what `ssblab neb lyc-indium` gives.

CHGNet on CPU, a few minutes per ordering: slow, and skipped without the MLIP extra. Only the
first Li-vacancy ordering (seed 0) is recomputed; the table lists the others too.
"""

import json
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def _documented_kra(direction: str) -> float:
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 3 and cells[0] == "0" and cells[1] == direction:
            return float(re.findall(r"\d+\.\d+", cells[3])[0])
    raise AssertionError(f"docs/validation.md: no ordering-0 row for {direction}")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")   # torch's tensor-conversion note inside CHGNet
def test_lyc_indium_kra_of_ordering_0_matches_the_docs():
    pytest.importorskip("chgnet")
    from click.testing import CliRunner

    from ssblab.cli import main

    res = CliRunner().invoke(main, ["neb", "lyc-indium", "--seed", "0", "--json"])
    assert res.exit_code == 0, res.output[-2000:]
    runs = json.loads(res.stdout)  # progress bars go to stderr
    for run in runs:
        direction = "in-plane" if "in-plane" in run["label"] else "out-of-plane"
        forward, reverse = run["barrier_eV"], run["reverse_barrier_eV"]
        kra = 0.5 * (forward + reverse)
        assert kra == pytest.approx(_documented_kra(direction), abs=0.01), (direction, kra)
