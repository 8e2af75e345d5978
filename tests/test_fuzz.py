"""Fuzzing every reader and the CLI's parameter space (issue #17).

Seeded mutants of real files (byte flips, truncations, inserted junk, joined or duplicated
lines, numbers turned into nan/1e999/text) go through each reader. Every mutant must end in a
result or an ``SSBLabError`` (exit 2 at the CLI): never another exception, never a hang (an
alarm per mutant), memory bounded (peak RSS growth), and no silent row loss: a mutant whose
two data lines were joined into one must not come back one row short without a warning.

``make test`` runs a few dozen mutants per reader (seconds). The long run, 2000+ mutants per
reader, is behind the ``fuzz`` marker: ``pytest -m fuzz tests/test_fuzz.py`` (counts are
recorded in docs/validation.md).
"""

from __future__ import annotations

import collections
import json
import os
import resource
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest

from ssblab.errors import SSBLabError

DATA = Path(__file__).resolve().parent / "data"
QUICK = int(os.environ.get("SSBLAB_FUZZ_QUICK", "40"))  # mutants per reader in make test
LONG = int(os.environ.get("SSBLAB_FUZZ_N", "2000"))  # mutants per reader with -m fuzz
HANG_S = 30  # one mutant of a file of a few kB; a loaded 2-core machine included
MEMORY_MB = 1024  # peak RSS growth allowed over a whole reader's fuzz run


# -- mutations ---------------------------------------------------------------------------------

def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def mutate(data: bytes, rng: np.random.Generator, *, text: bool) -> tuple[str, bytes]:
    """One seeded mutant of ``data`` and the name of the mutation."""
    kinds = ["flip", "truncate", "insert", "zero", "duplicate-block"]
    if text:
        kinds += ["join", "join", "drop-line", "duplicate-line", "number", "number", "extra-field",
                  "cut-last-number", "bom"]
    kind = str(rng.choice(kinds))
    n = len(data)
    if kind == "flip":
        out = bytearray(data)
        for at in rng.integers(0, n, size=int(rng.integers(1, 9))):
            out[at] ^= 1 << int(rng.integers(0, 8))
        return kind, bytes(out)
    if kind == "truncate":
        return kind, data[:int(rng.integers(0, n))]
    if kind == "insert":
        at = int(rng.integers(0, n))
        junk = rng.integers(0, 256, size=int(rng.integers(1, 64))).astype(np.uint8).tobytes()
        return kind, data[:at] + junk + data[at:]
    if kind == "zero":
        at, size = int(rng.integers(0, n)), int(rng.integers(1, 4096))
        return kind, data[:at] + bytes(min(size, n - at)) + data[at + size:]
    if kind == "duplicate-block":
        at, size = int(rng.integers(0, n)), int(rng.integers(1, 2048))
        return kind, data[:at + size] + data[at:at + size] + data[at + size:]
    if kind == "bom":
        return kind, b"\xef\xbb\xbf" + data
    lines = _lines(data)
    if len(lines) < 4:
        return "truncate", data[:n // 2]
    k = int(rng.integers(len(lines) // 2, len(lines) - 2))  # the data part, not the header
    if kind == "join":
        lines[k:k + 2] = [lines[k].rstrip(b"\r") + lines[k + 1]]
    elif kind == "drop-line":
        del lines[k]
    elif kind == "duplicate-line":
        lines.insert(k, lines[k])
    elif kind == "extra-field":
        sep = b"\t" if b"\t" in lines[k] else (b";" if b";" in lines[k] else b",")
        lines[k] = lines[k].rstrip(b"\r") + sep + b"123.5"
    elif kind == "number":
        words = lines[k].split(b",") if b"," in lines[k] else lines[k].split(b"\t")
        j = int(rng.integers(0, len(words)))
        words[j] = [b"nan", b"1e999", b"-1e308", b"abc", b"", b"1.5e"][int(rng.integers(0, 6))]
        lines[k] = (b"," if b"," in lines[k] else b"\t").join(words)
    elif kind == "cut-last-number":
        body = b"\n".join(lines).rstrip()
        return kind, body[:-1] if body[-1:].isdigit() else body[:-2]
    return kind, b"\n".join(lines)


# -- the harness -------------------------------------------------------------------------------

class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang()


def fuzz_reader(read, count_rows, seeds: list[Path], n_mutants: int, tmp_path: Path, *,
                text: bool, seed: int = 0, label: str = "") -> collections.Counter:
    """Run ``n_mutants`` mutants spread over ``seeds`` through ``read``; return the counts.

    Failures (tracebacks, hangs, silent row losses) are collected and asserted on at the end,
    with the first examples in the message.
    """
    rng = np.random.default_rng(seed)
    counts: collections.Counter = collections.Counter()
    problems: list[str] = []
    baseline = {}
    for path in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            baseline[path] = count_rows(read(path))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i in range(n_mutants):
            source = seeds[i % len(seeds)]
            kind, data = mutate(source.read_bytes(), rng, text=text)
            target = tmp_path / f"m{i % 7}_{source.name}"
            target.write_bytes(data)
            signal.alarm(HANG_S)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = read(target)
                rows = count_rows(result)
                counts["read"] += 1
                warned = any("DataWarning" in type(w.message).__name__ for w in caught) or any(
                    issubclass(w.category, UserWarning) and "row" in str(w.message).lower()
                    for w in caught)
                if kind == "join" and rows == baseline[source] - 1 and not warned:
                    counts["silent row loss"] += 1
                    problems.append(f"silent row loss ({kind}) in {source.name} #{i}")
            except SSBLabError:
                counts["clean error"] += 1
            except _Hang:
                counts["hang"] += 1
                problems.append(f"hang ({kind}) in {source.name} #{i}")
            except Exception as exc:  # the point of the test: anything else is a traceback
                counts["traceback"] += 1
                problems.append(f"traceback ({kind}) in {source.name} #{i}: "
                                f"{type(exc).__name__}: {str(exc)[:120]}")
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    counts["peak RSS growth MB"] = int(grown_mb)
    print(f"\n{label or read.__name__}: {n_mutants} mutants: {dict(counts)}")
    assert grown_mb < MEMORY_MB, f"peak RSS grew by {grown_mb:.0f} MB"
    assert not problems, f"{len(problems)} problem(s): " + "; ".join(problems[:8])
    return counts


# -- readers and their seed files --------------------------------------------------------------

def _head(path: Path, tmp: Path, n_lines: int = 300) -> Path:
    """A shorter copy of a large text file (header and first rows), so mutants read fast."""
    target = tmp / f"seed_{path.name}"
    target.write_bytes(b"\n".join(path.read_bytes().split(b"\n")[:n_lines]) + b"\n")
    return target


def _spectra_rows(spectra):
    return sum(s.n_points for s in spectra)


def _cycler_rows(data):
    return len(data.time_s)


def read_spectra_file(path):
    from ssblab.echem.io import read_spectra

    return read_spectra(path)


def read_cycler_file(path):
    from ssblab.echem.io import read_cycler

    return read_cycler(path)


def read_structure_file(path):
    from ssblab.materials.structures import read_structure

    return read_structure(str(path))


def read_atoms_file(path):
    from ssblab.materials.structures import read_atoms

    return read_atoms(path)


def read_volume_file(path):
    from ssblab.microstructure.io import load_volume

    if path.suffix == ".raw":
        return load_volume(path, shape=(6, 5, 4), dtype="uint8")
    return load_volume(path)


def read_trajectory_file(path):
    from ssblab.atomistic.trajectory import read_trajectory

    return read_trajectory(path, timestep_ps=0.01)


def read_run_settings(path):
    from ssblab.atomistic import md

    return md.read_settings(path.parent)


EIS_TEXT = ["exampleData.csv", "exampleDataBioLogic.mpt", "exampleDataGamry.DTA",
            "exampleDataZPlot.z", "lpscl_blocking_-25C_relaxis.txt", "Circuit1_EIS_1.z"]
EIS_BINARY = ["lpscl_blocking_-25C.mpr", "ssb_ncm-lpscl-inli_end-of-discharge.mpr"]
CYCLER_TEXT = ["maccor.txt", "neware_export.csv", "ssb_ncm-lpscl-inli_chronopotentiometry.mpt"]
CYCLER_BINARY = ["biologic_gcpl.mpr", "ssb_ncm-lpscl-inli_chronopotentiometry.mpr", "neware.ndax"]


def _structure_seeds(tmp: Path) -> list[Path]:
    from importlib.resources import files

    folder = files("ssblab.materials") / "structures"
    return [Path(str(folder / f"{name}.cif")) for name in ("LiCl", "Li", "In")]


def _atoms_seeds(tmp: Path) -> list[Path]:
    ase_io = pytest.importorskip("ase.io")
    from ase.build import bulk

    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    seeds = []
    for name, fmt in (("POSCAR", "vasp"), ("s.extxyz", "extxyz")):
        ase_io.write(tmp / name, atoms, format=fmt)
        seeds.append(tmp / name)
    return seeds


def _volume_seeds(tmp: Path) -> list[Path]:
    labels = (np.arange(120).reshape(6, 5, 4) % 3).astype(np.uint8)
    np.save(tmp / "v.npy", labels)
    labels.tofile(tmp / "v.raw")
    seeds = [tmp / "v.npy", tmp / "v.raw"]
    try:
        import tifffile

        tifffile.imwrite(tmp / "v.tif", np.moveaxis(labels, -1, 0), photometric="minisblack")
        seeds.append(tmp / "v.tif")
    except ImportError:
        pass
    try:
        import h5py

        with h5py.File(tmp / "v.h5", "w") as handle:
            handle["labels"] = labels
        seeds.append(tmp / "v.h5")
    except ImportError:
        pass
    return seeds


def _trajectory_seeds(tmp: Path) -> list[Path]:
    pytest.importorskip("ase")
    from ase.build import bulk
    from ase.io import write

    rng = np.random.default_rng(0)
    base = bulk("Cu", "fcc", a=3.61, cubic=True)
    frames = []
    for _ in range(5):
        frame = base.copy()
        frame.positions += rng.normal(0, 0.05, frame.positions.shape)
        frames.append(frame)
    write(tmp / "t.traj", frames)
    write(tmp / "t.extxyz", frames)
    return [tmp / "t.traj", tmp / "t.extxyz"]


def _run_folder_seeds(tmp: Path) -> list[Path]:
    settings = dict(potential="emt", device="cpu", temperature_K=600.0, timestep_fs=2.0,
                    production_steps=30, equilibration_steps=10, save_interval=2,
                    log_interval=2, checkpoint_interval=10, thermostat="langevin",
                    friction_per_fs=0.01, tdamp_fs=100.0, pressure_GPa=None, pdamp_fs=1000.0,
                    compressibility_per_GPa=0.04, seed=7, calculator_options={},
                    frame_timestep_ps=0.004)
    (tmp / "run").mkdir()
    path = tmp / "run" / "inputs.json"
    path.write_text(json.dumps({"settings": settings, "provenance": {}}, indent=1))
    return [path]


def _read_inputs_json(path):
    # mutants are written beside the seed; read_settings wants the folder's inputs.json
    target = path.parent / "inputs.json"
    if path != target:
        target.write_bytes(path.read_bytes())
    return read_run_settings(target)


def read_md_study_file(path):
    from ssblab.workflows.vacancy_md import load_runs

    return load_runs(path)


def _md_study_seeds(tmp: Path) -> list[Path]:
    from importlib.resources import files

    return [Path(str(files("ssblab") / "data" / "md" / "seed000_chgnet_runs.npz"))]


def _dendrite_run_seeds(tmp: Path) -> list[Path]:
    from ssblab.dendrite.electrolyte import uniform_map
    from ssblab.dendrite.rundir import start_run

    start_run(tmp / "pf", uniform_map((16, 8), conductivity_S_m=0.5), steps=2,
              checkpoint_interval=1, movie=False, solver="fft", film_thickness_um=4.0)
    seed = tmp / "dendrite_inputs.json"  # mutants go into pf/inputs.json; the seed stays intact
    seed.write_bytes((tmp / "pf" / "inputs.json").read_bytes())
    return [seed]


def _read_dendrite_inputs(path):
    from ssblab.dendrite.rundir import load_simulation

    folder = path.parent / "pf"  # the seed's run directory
    (folder / "inputs.json").write_bytes(path.read_bytes())
    return load_simulation(folder)[0]


READERS = {
    # name: (read, rows, seeds(tmp) -> list, text)
    "spectra-text": (read_spectra_file, _spectra_rows,
                     lambda tmp: [DATA / "eis" / n for n in EIS_TEXT], True),
    "spectra-binary": (read_spectra_file, _spectra_rows,
                       lambda tmp: [DATA / "eis" / n for n in EIS_BINARY], False),
    "cycler-text": (read_cycler_file, _cycler_rows,
                    lambda tmp: [_head(DATA / "cycling" / n, tmp) for n in CYCLER_TEXT], True),
    "cycler-binary": (read_cycler_file, _cycler_rows,
                      lambda tmp: [DATA / "cycling" / n for n in CYCLER_BINARY], False),
    "structures-cif": (read_structure_file, len, _structure_seeds, True),
    "structures-ase": (read_atoms_file, len, _atoms_seeds, True),
    "volumes": (read_volume_file, lambda v: v.size, _volume_seeds, False),
    "trajectories": (read_trajectory_file, lambda t: t.n_frames, _trajectory_seeds, False),
    "run-folder": (_read_inputs_json, len, _run_folder_seeds, True),
    "md-study-npz": (read_md_study_file, lambda loaded: len(loaded[0]), _md_study_seeds, False),
    "dendrite-run-folder": (_read_dendrite_inputs, lambda sim: sim.nsteps, _dendrite_run_seeds,
                            True),
}

# A reader listed here may still lose a joined line silently (xfail until fixed); none is now.

ROW_LOSS_PENDING: set[str] = set()  # every text reader now counts fields strictly


def _run(name, n, tmp_path):
    read, rows, seeds, text = READERS[name]
    if name in ("structures-ase", "trajectories", "run-folder"):
        pytest.importorskip("ase")
    if name == "structures-cif":
        pytest.importorskip("pymatgen")
    try:
        fuzz_reader(read, rows, seeds(tmp_path), n, tmp_path, text=text, label=name)
    except AssertionError as exc:
        if name in ROW_LOSS_PENDING and all(
                part.startswith("silent row loss") for part in str(exc).split(": ", 1)[1]
                .split("; ")):
            pytest.xfail(f"strict field counts pending (issue #17): {exc}")
        raise


@pytest.mark.parametrize("name", sorted(READERS))
def test_fuzz_readers_quick(name, tmp_path):
    _run(name, QUICK, tmp_path)


@pytest.mark.fuzz
@pytest.mark.parametrize("name", sorted(READERS))
def test_fuzz_readers_long(name, tmp_path):
    _run(name, LONG, tmp_path)


def test_special_files_are_refused_at_once(tmp_path):
    """A FIFO (would block), a device (endless), a folder and an empty file: clean errors."""
    from ssblab.echem.io import read_cycler, read_spectra
    from ssblab.errors import InputError
    from ssblab.materials.structures import read_structure
    from ssblab.microstructure.io import load_volume

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    (tmp_path / "empty.npy").write_bytes(b"")
    cases = [(read_spectra, fifo, "FIFO"), (read_cycler, fifo, "FIFO"),
             (read_spectra, Path("/dev/zero"), "character device"),
             (read_cycler, Path("/dev/urandom"), "character device"),
             (read_spectra, tmp_path, "directory"),
             (load_volume, tmp_path / "empty.npy", "empty"),
             (lambda p: read_structure(str(p)), Path("/dev/zero"), "character device")]
    for read, path, words in cases:
        with pytest.raises(InputError, match=words):
            read(path)


def test_size_limit_and_override(tmp_path, monkeypatch):
    """A 3 GB sparse file is refused on its size, without being read; the limit can be raised."""
    from ssblab.echem.io import read_spectra
    from ssblab.errors import InputError
    from ssblab.files import MAX_BYTES_ENV, check_input_file

    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: takes no disk space
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match=f"above the 2 GiB limit.*{MAX_BYTES_ENV}"):
        read_spectra(big)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) < 100 * 1024
    cif = tmp_path / "big.cif"  # a 2 GB CIF hung pymatgen for over a minute at 4.2 GB
    with open(cif, "wb") as handle:
        handle.truncate(2 * 1024**3)
    from ssblab.materials.structures import read_structure

    with pytest.raises(InputError, match="above the 256 MiB limit for a structure file"):
        read_structure(str(cif))
    monkeypatch.setenv(MAX_BYTES_ENV, "4G")
    assert check_input_file(big) == big
    monkeypatch.setenv(MAX_BYTES_ENV, "lots")
    with pytest.raises(InputError, match=MAX_BYTES_ENV):
        check_input_file(big)


# -- the CLI's parameter space -----------------------------------------------------------------

def _cli_cases(tmp: Path) -> list[tuple[list[str], str]]:
    """(arguments, the option the error must name). Every one is bad and must exit 2."""
    from ase.build import bulk
    from ase.io import write

    write(tmp / "cu.extxyz", bulk("Cu", "fcc", a=3.61, cubic=True))
    (tmp / "afile").write_text("x")
    (tmp / "table.csv").write_text("a,b\n1,2\n")
    eis = str(DATA / "eis" / "lpscl_blocking_-25C.mpr")
    cu = str(tmp / "cu.extxyz")
    bad_numbers = ["nan", "inf", "-inf", "abc", "", "1e999"]
    cases = []
    conductivity = ["eis", "conductivity", eis, "--diameter", "10 mm"]
    for value in ["-1 cm", "0 cm", "1e300 m", "5 kg", *bad_numbers]:
        cases.append(([*conductivity, "--thickness", value], "--thickness"))
    for value in ["1e300 m", "-2 cm", "3 V", "nan"]:
        cases.append((["eis", "conductivity", eis, "--thickness", "780 um", "--diameter", value],
                      "--diameter"))
    for value in ["", "p(R1", "R0-Q1", "p(" * 3000 + "R1,C1" + ")" * 3000, "R0-R0", "p(R1)"]:
        cases.append((["eis", "fit", eis, "--no-kk", "--circuit", value], "circuit"))
    for value in ["1e300 K", "-5 K", "0 K", "5 m", *bad_numbers]:
        cases.append((["eis", "arrhenius", eis, "--thickness", "780 um", "--diameter", "10 mm",
                       "--temperature", value], "--temperature"))
    md_run = ["md", "run", cu, "--run-dir", str(tmp / "md"), "--potential", "emt", "--steps", "2"]
    for value in ["1e300 K", "-5 K", "0 K", "nan", "300 m"]:
        cases.append(([*md_run, "--temperature", value], "--temperature"))
    for value in ["1e300 fs", "0 fs", "-1 fs", "100 fs", "nan", "2 K"]:
        cases.append(([*md_run, "--temperature", "300 K", "--timestep", value], "--timestep"))
    for value in ["0,0,0", "1,1", "a,b,c", "-1,1,1", "1000,1000,1000"]:
        cases.append(([*md_run, "--temperature", "300 K", "--supercell", value], "--supercell"))
    for option, value in [("--steps", "-5"), ("--steps", "0"), ("--save-interval", "0"),
                          ("--equilibration", "-1"), ("--checkpoint-interval", "0")]:
        args = [a for a in md_run if a not in ("--steps", "2")]
        cases.append(([*args, "--temperature", "300 K", option, value], option))
    cases.append((["md", "run", str(tmp / "table.csv"), "--run-dir", str(tmp / "md2"),
                   "--potential", "emt", "--steps", "2", "--temperature", "300 K"], "table.csv"))
    dendrite = ["dendrite", "run", "--run-dir", str(tmp / "pf"), "--steps", "2"]
    for option, value in [("--nx", "0"), ("--nx", "-3"), ("--ny", "1"), ("--nx", "100000"),
                          ("--steps", "-5"), ("--checkpoint-interval", "0"), ("--nuclei", "-1"),
                          ("--spacing", "1e300 m"), ("--current", "1e300 mA/cm^2"),
                          ("--spacing", "nan")]:
        args = [a for a in dendrite if a not in ("--steps", "2")] if option == "--steps" \
            else dendrite
        cases.append(([*args, option, value], option))
    for value in ["1e300 h", "-1 h", "nan", "5 V"]:
        cases.append((["cell", "symmetric", "--duration", value], "--duration"))
    micro = ["micro", "generate", "--out", str(tmp / "volume")]
    for value in ["0,0,0", "100000,100000,100000", "a", "1,1", "-4,4,4"]:
        cases.append(([*micro, "--shape", value], "--shape"))
    for value in ["1e300 m", "nan"]:
        cases.append(([*micro, "--shape", "8,8,8", "--voxel-size", value], "--voxel-size"))
    for option, value in [("--min-frequency", "nan"), ("--max-frequency", "1e999 Hz"),
                          ("--min-frequency", "5 ohm")]:
        cases.append((["eis", "fit", eis, "--no-kk", option, value], option))
    for option, value in [("--loading", "1e300 mg/cm^2"), ("--separator-thickness", "-1 um"),
                          ("--conductivity", "inf"), ("--cathode-thickness", "2 V")]:
        cases.append((["cell", "rate", option, value], option))
    for option, value in [("--cycles", "-5"), ("--cycles", "0"), ("--c-rate", "-1"),
                          ("--c-rate", "nan")]:
        cases.append((["cell", "life", option, value], option))
    for value in ["", str(tmp / "afile" / "volume"), str(tmp / "afile")]:
        cases.append((["micro", "generate", "--out", value], "--out"))
    for value in ["", str(tmp / "afile" / "gb"), str(tmp / "afile")]:
        cases.append((["structure", "density", "LiCl", "--relative-density", "0.9",
                       "--out", value], "--out"))
    show = ["structure", "show", "LiCl"]
    for value in ["-1", "0", "nan", "1e300", "abc"]:
        cases.append(([*show, "--symprec", value], "--symprec"))
    for value in ["-1", "0", "nan", "1e300", "CuKq"]:
        cases.append(([*show, "--wavelength", value], "--wavelength"))
    for value in ["0", "-1", "abc"]:
        cases.append(([*show, "--reflections", value], "--reflections"))
    for value in ["", str(tmp / "afile"), str(tmp / "afile" / "sub"), "x" * 300]:
        cases.append(([*show, "--out", value], "--out"))
        cases.append((["read", "spectrum", eis, "--out", value], "--out"))
    return cases


def test_bad_cli_parameters_exit_2_naming_the_option(tmp_path):
    pytest.importorskip("ase")
    from click.testing import CliRunner

    from ssblab.cli import main

    runner = CliRunner()
    failures = []
    cases = _cli_cases(tmp_path)
    for args, option in cases:
        result = runner.invoke(main, args)
        message = result.output
        if result.exit_code != 2 or option not in message or "Traceback" in message:
            last = (message.strip().splitlines() or [repr(result.exception)])[-1]
            failures.append(f"{' '.join(a[:40] for a in args[:8])} -> exit {result.exit_code}: "
                            f"{last[:160]}")
    print(f"\n{len(cases)} bad CLI parameter cases, {len(failures)} failures")
    assert not failures, "\n".join(failures)
    assert len(cases) >= 97
