"""String options: declared once as a Literal, checked at the public entry with a did-you-mean,
and offered by the CLI from the same Literal."""

import typing

import click
import numpy as np
import pytest

from ssblab.errors import InputError, check_choice, choices_of


def test_check_choice_reads_a_literal():
    Mode = typing.Literal["little", "big"]
    assert choices_of(Mode) == ("little", "big")
    assert check_choice("big", Mode, name="byte_order") == "big"
    with pytest.raises(InputError, match=r"byte_order: unknown value 'litle'.*did you mean 'little'"):
        check_choice("litle", Mode, name="byte_order")


def test_load_volume_refuses_an_unknown_byte_order(tmp_path):
    from ssblab.microstructure.io import load_volume

    np.arange(24, dtype=np.uint16).tofile(tmp_path / "v.raw")
    with pytest.raises(InputError, match="did you mean 'little'"):
        load_volume(tmp_path / "v.raw", shape=(2, 3, 4), dtype="uint16", byte_order="litle")
    # checked before the file is even looked at
    with pytest.raises(InputError, match="byte_order"):
        load_volume(tmp_path / "missing.raw", byte_order="BIG")


def test_explained_gap_checks_which_before_reading_anything():
    from ssblab.cell.studies import RateStudy

    with pytest.raises(InputError, match="did you mean 'fitted'"):
        RateStudy.explained_gap(None, "fited")
    with pytest.raises(InputError, match="which"):
        RateStudy.explained_gap(None, "nominal_hot_mAh_g")  # no attribute name is built


def test_dendrite_solver_checked_at_entry():
    from ssblab.dendrite.electrolyte import uniform_map
    from ssblab.dendrite.phasefield import ElectrodepositionSimulation

    with pytest.raises(InputError, match="solver: unknown value 'fftt'.*did you mean 'fft'"):
        ElectrodepositionSimulation(uniform_map((8, 8)), solver="fftt")


@pytest.mark.parametrize("module, command, option, literal", [
    ("ssblab.cli.micro", "solve", "method", "ssblab.microstructure.solve:SolveMethod"),
    ("ssblab.cli.micro", "solve", "boundary", "ssblab.microstructure.solve:Boundary"),
    ("ssblab.cli.dendrite", "run", "solver", "ssblab.dendrite.solver:SolverMethod"),
    ("ssblab.cli.dendrite", "run", "control", "ssblab.dendrite.phasefield:Control"),
    ("ssblab.cli.md", "run", "thermostat", "ssblab.atomistic.md:Thermostat"),
])
def test_cli_choices_come_from_the_literal(module, command, option, literal):
    import importlib

    group = importlib.import_module(module).cli
    cmd = group.commands[command]
    param = next(p for p in cmd.params if p.name == option)
    assert isinstance(param.type, click.Choice)
    mod, name = literal.split(":")
    assert tuple(param.type.choices) == typing.get_args(getattr(importlib.import_module(mod), name))


@pytest.mark.parametrize("entry, options, message", [
    ("ssblab.dendrite.studies:conductivity_ratio_study", {"solver": "fftt"}, "did you mean 'fft'"),
    ("ssblab.dendrite.ccd:ccd_study", {"solver": "amgg"}, "did you mean 'amg'"),
    ("ssblab.microstructure.studies:density_study", {"direction": "zz"}, "did you mean 'z'"),
    ("ssblab.microstructure.studies:mixture_study", {"direction": "zz"}, "did you mean 'z'"),
])
def test_studies_check_options_before_any_work(entry, options, message):
    import importlib

    module, name = entry.split(":")
    with pytest.raises(InputError, match=message):
        getattr(importlib.import_module(module), name)(**options)


def test_vacancy_md_study_checks_thermostat_and_device_first(tmp_path):
    from ssblab.workflows.vacancy_md import vacancy_md_study

    for options, message in (({"thermostat": "langevn"}, "did you mean 'langevin'"),
                             ({"device": "cdua"}, "did you mean 'cuda'")):
        with pytest.raises(InputError, match=message):
            vacancy_md_study(None, [], oxidation_states={}, run_root=tmp_path, **options)
    assert not any(tmp_path.iterdir())  # nothing was written
