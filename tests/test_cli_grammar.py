"""One CLI grammar, checked on every command of the click tree.

- every command takes ``--out DIR`` and ``--json``; files go into --out (no --output,
  --output-file, --csv); run folders are ``--run-dir``;
- lists by repetition: a multiple option says "repeat" in its help, no other option asks for
  comma-separated lists;
- every quantity option declares its kind of quantity (a known dimension) and refuses a
  quantity of another kind, naming both; common spellings work;
- no silent default for the electrode geometry.
"""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.cli._common import QuantityType

FORBIDDEN_OUTPUT_OPTIONS = {"--output", "--output-file", "--output-dir", "--csv", "--run-root",
                            "--outdir"}


def _commands():
    ctx = click.Context(main)

    def walk(command, path):
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*path, name])
        else:
            yield " ".join(path), command

    return list(walk(main, []))


COMMANDS = _commands()


def _options(command):
    return [p for p in command.params if isinstance(p, click.Option)]


def test_the_tree_is_walked():
    names = {name for name, _ in COMMANDS}
    assert {"eis fit", "md run", "md resume", "data path", "demo", "structure gb"} <= names
    assert len(names) > 40


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_out_and_json_on_every_command(name, command):
    options = {o.opts[0]: o for o in _options(command)}
    assert "--out" in options, f"ssblab {name} has no --out DIR"
    assert "--json" in options and options["--json"].is_flag, f"ssblab {name} has no --json"
    from ssblab.cli._common import OutputFolderType

    assert isinstance(options["--out"].type, OutputFolderType), \
        f"ssblab {name}: --out must be a folder checked before any work (OutputFolderType)"
    assert not FORBIDDEN_OUTPUT_OPTIONS & set(options), \
        f"ssblab {name}: {FORBIDDEN_OUTPUT_OPTIONS & set(options)}: write into --out DIR"


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_lists_by_repetition(name, command):
    for option in _options(command):
        text = (option.help or "").lower()
        if option.multiple:
            assert "repeat" in text, f"ssblab {name} {option.opts[0]}: say that it repeats"
        else:
            assert not re.search(r"\bcomma", text.replace("command", "")), \
                f"ssblab {name} {option.opts[0]}: a list is given by repeating the option"


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_quantity_options_have_a_dimension_and_refuse_others(name, command):
    for option in _options(command):
        if not isinstance(option.type, QuantityType):
            continue
        kind = option.type.dimension
        assert "[" not in kind, f"ssblab {name} {option.opts[0]}: unit {option.type.unit!r} " \
                                f"has no named kind ({kind})"
        wrong = "3 kg" if kind != "mass" else "3 V"
        with pytest.raises(click.BadParameter) as caught:
            option.type.convert(wrong, option, None)
        message = str(caught.value)
        assert option.opts[0] in message and kind in message, message
        assert ("mass" if wrong == "3 kg" else "voltage") in message, message
        # a number with the option's own unit goes through unchanged
        assert option.type.convert(f"2 {option.type.unit}", option, None) == pytest.approx(2)


def _option(command_name, option_name):
    command = dict(COMMANDS)[command_name]
    return next(o for o in _options(command) if o.opts[0] == option_name)


@pytest.mark.parametrize("text,expected", [("25 C", 298.15), ("25 °C", 298.15),
                                           ("25 degC", 298.15), ("300 K", 300.0)])
def test_temperatures_in_celsius(text, expected):
    option = _option("eis arrhenius", "--temperature")
    assert option.type.convert(text, option, None) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["1.5 angstrom", "1.5 Å", "1.5 A", "0.15 nm"])
def test_lengths_in_angstrom(text):
    option = _option("structure gb", "--gap")
    assert option.type.convert(text, option, None) == pytest.approx(1.5)


def test_a_current_is_not_a_length():
    option = _option("structure gb", "--gap")
    with pytest.raises(click.BadParameter, match=r"--gap: '1500 mA' is a current .* length"):
        option.type.convert("1500 mA", option, None)


@pytest.mark.parametrize("command,option,text,expected", [
    ("ccd protocol", "--max", "3 mA/cm2", 3.0),
    ("ccd protocol", "--max", "3 mA cm-2", 3.0),
    ("cell rate", "--conductivity", "4.4 mS cm-1", 4.4e-3),
    ("cell rate", "--conductivity", "4.4 mS/cm", 4.4e-3),
    ("dendrite run", "--sigma-a", "5.26 mS/cm", 5.26e-3),  # S/cm like every layer
])
def test_lab_spellings(command, option, text, expected):
    opt = _option(command, option)
    assert opt.type.convert(text, opt, None) == pytest.approx(expected)


def test_conductivities_are_in_S_per_cm_everywhere():
    units = {o.type.unit for _, c in COMMANDS for o in _options(c)
             if isinstance(o.type, QuantityType) and o.type.dimension == "conductivity"}
    assert units == {"S/cm"}


@pytest.mark.parametrize("command", [["symmetric", "analyse"], ["ccd", "analyse"]])
def test_no_silent_electrode_area(command, tmp_path):
    from ssblab.data import path

    file = str(path("arbin-cycling")[0])
    res = CliRunner().invoke(main, [*command, file])
    assert res.exit_code == 2
    assert "--area" in res.output and "--diameter" in res.output


@pytest.mark.slow
def test_long_commands_say_what_they_do(tmp_path):
    """micro solve and NEB bands report each stage on stderr (minutes of silence otherwise)."""
    import numpy as np

    volume = tmp_path / "v.npy"
    np.save(volume, np.ones((6, 6, 6), dtype=np.uint8))
    res = CliRunner().invoke(main, ["micro", "solve", str(volume), "--voxel-size", "1 um",
                                    "--conductivity", "1=1 mS/cm", "--direction", "all", "--json"])
    assert res.exit_code == 0, res.output
    assert res.stderr.count("[micro solve]") == 6 and "3/3: along z done" in res.stderr
    import json

    assert len(json.loads(res.stdout)) == 3  # stdout stays valid JSON

    from ssblab.cli.neb import _banded

    class Band:
        ok, barrier_eV, iterations = True, 0.31, 42

    assert _banded(1, 2, "test band", Band) is not None
