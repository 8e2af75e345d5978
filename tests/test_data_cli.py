"""Bundled data: every file is registered, licensed, readable; `ssblab data list/path`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import ssblab.data
from ssblab.cli import main
from ssblab.data import DATASETS, path

DATA = Path(ssblab.data.__file__).parent


def test_every_bundled_file_is_registered_and_licensed():
    registered = {f for d in DATASETS.values() for f in d.files}
    on_disk = {p.relative_to(DATA).as_posix() for p in DATA.rglob("*")
               if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
               and not p.name.startswith("LICENSE") and p.name != "README.md"}
    assert on_disk == registered
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for dataset in DATASETS.values():
        licence_file = dataset.licence.partition("(")[2].rstrip(")")
        if not dataset.source.startswith("ssblab"):
            # files from other projects keep their licence beside them
            assert (DATA / licence_file).is_file(), licence_file
            assert Path(licence_file).parent == Path(dataset.files[0]).parent
        for f in dataset.files:
            assert (DATA / f).is_file()
            # the series is one README row (s04147_{140,...,200}C.txt)
            name = "s04147_" if dataset.name == "pellet-series" else Path(f).stem
            assert name in readme, f"{f} is not described in data/README.md"


def test_bundled_series_and_cycler_file_read():
    from ssblab.echem.io import read_cycler, read_spectrum
    from ssblab.echem.io.temperature import temperature_from_name

    files = path("pellet-series")
    assert [temperature_from_name(f) - 273.15 for f in files] == pytest.approx(
        [140, 150, 160, 170, 180, 190, 200])
    for f in files:
        spectrum = read_spectrum(f)
        # Novocontrol export: 1 MHz down to 0.03-0.07 Hz, capacitive arcs have Z'' < 0
        assert spectrum.frequency_Hz.max() == pytest.approx(1e6)
        assert (spectrum.impedance_ohm.imag < 0).mean() > 0.9
    pytest.importorskip("access_parser")
    data = read_cycler(path("arbin-cycling")[0])
    assert len(set(data.cycle.tolist())) == 18


def test_data_commands(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["data", "list"])
    assert res.exit_code == 0 and "pellet-series" in res.output and "arbin-cycling" in res.output
    res = runner.invoke(main, ["data", "list", "--json"])
    assert {row["name"] for row in json.loads(res.output)} == set(DATASETS)
    res = runner.invoke(main, ["data", "path", "pellet-series"])
    lines = res.output.split()
    assert res.exit_code == 0 and len(lines) == 7 and all(Path(p).is_file() for p in lines)
    res = runner.invoke(main, ["data", "path", "lpscl-blocking", "--out", str(tmp_path / "copy")])
    assert res.exit_code == 0 and (tmp_path / "copy" / "lpscl_blocking_-25C.mpr").is_file()
    res = runner.invoke(main, ["data", "path", "pellet"])
    assert res.exit_code == 2 and "did you mean 'pellet-series'" in res.output


def test_an_impedance_file_is_not_a_cycling_test():
    # it used to report a Coulombic efficiency of 801.9 % and exit 0
    res = CliRunner().invoke(main, ["cycling", "summary", str(path("lpscl-blocking")[0])])
    assert res.exit_code == 2
    assert "impedance measurement" in res.output and "ssblab eis" in res.output
