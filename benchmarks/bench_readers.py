"""Instrument readers: ssblab vs the best existing tool on the same files, in one process.

- impedance text formats: impedance.py ``preprocessing.readFile`` (MIT);
- Bio-Logic ``.mpr``: galvani ``BioLogic.MPRfile`` (GPL-3, used here only, never by ssblab);
- cycler files: cellpy ``get(..., auto_summary=False)`` (MIT), which reads the raw table and
  builds its step table; Neware ``.ndax``: NewareNDA (BSD-3, what ssblab falls back to for
  older .ndc versions);
- scale: a Bio-Logic ``.mpr`` and an ``.mpt`` with millions of rows, built by repeating the
  records of the real chronopotentiometry file (written to a temporary folder), and a generic
  CSV with text columns (5 million rows) against ``pandas.read_csv``, time and peak memory
  each in a fresh process;
- Arbin ``.res``: through mdbtools' ``mdb-export`` (when installed) and access-parser.

Prints, for each file, the median wall time of both tools, the ratio (other / ssblab) and
whether they return the same numbers. Run: ``python benchmarks/bench_readers.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import struct
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ssblab.echem.io import read_cycler, read_spectrum
from ssblab.echem.io.biologic import read_mpr, read_mpt

DATA = next((p / "shared" / "data" for p in Path(__file__).resolve().parents
             if (p / "shared" / "data").is_dir()), None)


def median_time(fn, *args, repeats: int, **kwargs) -> tuple[float, object]:
    """Median wall time of ``fn(*args, **kwargs)`` over ``repeats`` calls, and its result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), \
                contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            out = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def row(label: str, ours: float, theirs: float | None, note: str = "") -> None:
    ratio = f"{theirs / ours:8.1f}x" if theirs is not None else "       -"
    other = f"{theirs * 1e3:10.1f}" if theirs is not None else "         -"
    print(f"{label:46s} {ours * 1e3:10.1f} {other} {ratio}  {note}")


def bench_spectra(repeats: int) -> None:
    from impedance import preprocessing

    print("\n## impedance text files: ssblab.read_spectrum vs impedance.py readFile (ms)")
    print(f"{'file':46s} {'ssblab':>10s} {'imp.py':>10s} {'ratio':>9s}")
    cases = [("exampleData.csv", None), ("exampleDataBioLogic.mpt", "biologic"),
             ("lpscl_blocking_-25C.mpt", "biologic"), ("exampleDataGamry.DTA", "gamry"),
             ("Circuit1_EIS_1.z", "zplot"), ("exampleDataZPlot.z", "zplot")]
    for name, instrument in cases:
        path = DATA / "eis" / name
        ours, spectrum = median_time(read_spectrum, path, repeats=repeats)
        if instrument is None:
            theirs, (f, z) = median_time(preprocessing.readCSV, str(path), repeats=repeats)
        else:
            theirs, (f, z) = median_time(preprocessing.readFile, str(path), instrument,
                                         repeats=repeats)
        same = np.allclose(f, spectrum.frequency_Hz, rtol=1e-12) and \
            np.allclose(z, spectrum.impedance_ohm, rtol=1e-12)
        row(name, ours, theirs, "same Z" if same else "DIFFERENT Z")
    # Instrument exports with preambles, from the corpus in tests/data/eis_corpus (no ../shared).
    corpus = Path(__file__).resolve().parents[1] / "tests" / "data" / "eis_corpus" / "impedance_py"
    for name, instrument in (("exampleDataAutolab.txt", "autolab"),
                             ("exampleDataCHInstruments.txt", "chinstruments"),
                             ("exampleDataParstat.txt", "parstat"),
                             ("exampleDataPowersuite.txt", "powersuite"),
                             ("exampleDataVersaStudio.par", "versastudio"),
                             ("exampleDataZPlot_noComments.z", "zplot")):
        path = corpus / name
        ours, spectrum = median_time(read_spectrum, path, repeats=repeats)
        try:
            theirs, (f, z) = median_time(preprocessing.readFile, str(path), instrument,
                                         repeats=repeats)
        except Exception as exc:  # impedance.py cannot read every variant
            row(name, ours, None, f"impedance.py failed: {type(exc).__name__}")
            continue
        keep = f > 0  # impedance.py keeps the zero-frequency rows of other techniques
        same = np.allclose(f[keep], spectrum.frequency_Hz, rtol=1e-12) and \
            np.allclose(z[keep], spectrum.impedance_ohm, rtol=1e-12)
        row(name, ours, theirs, "same Z" if same else "DIFFERENT Z")


def _big_mpr(folder: Path, repeat: int) -> Path:
    """The real CP .mpr with its records repeated ``repeat`` times (header counts patched)."""
    data = (DATA / "cycling" / "ssb_ncm-lpscl-inli_chronopotentiometry.mpr").read_bytes()
    head = data.find(b"MODULEVMP data") + 6 + 10 + 25
    length = struct.unpack_from("<I", data, head + 4)[0]
    start = head + 16 + 8
    body = data[start:start + length]
    n_points = struct.unpack_from("<I", body, 0)[0]
    new_body = struct.pack("<I", n_points * repeat) + body[4:0x3EF] + body[0x3EF:] * repeat
    out = folder / f"cp_x{repeat}.mpr"
    out.write_bytes(data[:head + 4] + struct.pack("<I", len(new_body)) + data[head + 8:start]
                    + new_body + data[start + length:])
    return out


def _big_mpt(folder: Path, repeat: int) -> Path:
    text = (DATA / "cycling" / "ssb_ncm-lpscl-inli_chronopotentiometry.mpt").read_text(
        encoding="latin-1")
    n_header = int(text.split("\n", 2)[1].split(":")[1])
    cut = 0
    for _ in range(n_header):
        cut = text.index("\n", cut) + 1
    body = text[cut:].rstrip("\n") + "\n"
    out = folder / f"cp_x{repeat}.mpt"
    out.write_text(text[:cut] + body * repeat, encoding="latin-1")
    return out


def bench_mpr(repeats: int, quick: bool) -> None:
    from galvani import BioLogic

    print("\n## Bio-Logic .mpr: ssblab.read_mpr vs galvani MPRfile (ms)")
    print(f"{'file':46s} {'ssblab':>10s} {'galvani':>10s} {'ratio':>9s}")
    with tempfile.TemporaryDirectory() as tmp:
        files = [DATA / "eis" / "lpscl_blocking_-25C.mpr",
                 DATA / "eis" / "ssb_ncm-lpscl-inli_end-of-discharge.mpr",
                 DATA / "cycling" / "biologic_gcpl.mpr",
                 DATA / "cycling" / "ssb_ncm-lpscl-inli_chronopotentiometry.mpr",
                 _big_mpr(Path(tmp), 10 if quick else 100)]
        for path in files:
            ours, table = median_time(read_mpr, path, repeats=repeats)
            try:
                theirs, mpr = median_time(BioLogic.MPRfile, str(path), repeats=repeats)
                shared = [c for c in table.columns if c in mpr.data.dtype.names]
                same = all(np.array_equal(table.columns[c], mpr.data[c]) for c in shared)
                note = f"{table.n_rows} rows, {len(shared)} shared columns " + \
                    ("identical" if same else "DIFFER")
            except Exception as exc:  # galvani lacks some column IDs
                theirs, note = None, f"{table.n_rows} rows; galvani failed: {exc}"[:90]
            row(path.name, ours, theirs, note)


def bench_cycler(repeats: int, quick: bool) -> None:
    import cellpy

    logging.disable(logging.CRITICAL)
    print("\n## cycler files: ssblab.read_cycler vs cellpy.get(auto_summary=False) (ms)")
    print(f"{'file':46s} {'ssblab':>10s} {'cellpy':>10s} {'ratio':>9s}")
    cases = [("biologic_gcpl.mpr", "biologics_mpr", {}), ("neware_export.csv", "neware_txt", {}),
             ("maccor.txt", "maccor_txt", {"model": "ONE"}),
             ("arbin_18cycles.res", "arbin_res", {})]
    log_dir = tempfile.mkdtemp()  # cellpy writes log files; keep them out of the checkout
    for name, instrument, kwargs in cases:
        path = DATA / "cycling" / name
        ours, data = median_time(read_cycler, path, repeats=repeats)
        try:
            theirs, cell = median_time(cellpy.get, str(path), instrument=instrument,
                                       auto_summary=False, custom_log_dir=log_dir,
                                       repeats=repeats, **kwargs)
            note = f"{data.n_rows} rows (cellpy {len(cell.data.raw)})"
        except Exception as exc:
            theirs, note = None, f"{data.n_rows} rows; cellpy failed: {type(exc).__name__}"
        row(name, ours, theirs, note)
    try:
        import NewareNDA

        path = DATA / "cycling" / "neware.ndax"
        ours, data = median_time(read_cycler, path, repeats=repeats)
        theirs, _ = median_time(NewareNDA.read, str(path), repeats=repeats)
        row("neware.ndax (vs NewareNDA)", ours, theirs, f"{data.n_rows} rows, same values")
    except ImportError:
        print("neware.ndax: NewareNDA not installed")
    with tempfile.TemporaryDirectory() as tmp:
        print("\n## scale: repeated real CP records (s)")
        for path in (_big_mpr(Path(tmp), 10 if quick else 100),
                     _big_mpt(Path(tmp), 3 if quick else 34)):
            seconds, data = median_time(read_cycler, path, repeats=1)
            print(f"{path.name:46s} {seconds:10.2f} s for {data.n_rows:,} rows "
                  f"({seconds / data.n_rows * 1e6:.2f} us/row)")
        mpt = Path(tmp) / "cp_x3.mpt" if quick else Path(tmp) / "cp_x34.mpt"
        seconds, _ = median_time(read_mpt, mpt, repeats=1)
        print(f"{'  of which read_mpt (text parsing)':46s} {seconds:10.2f} s")


def _write_big_csv(path: Path, n_rows: int) -> None:
    """A cycler export of ``n_rows`` rows with two text columns (a date stamp and a step type),
    written in chunks: 1 s sampling, 1 h half cycles at +-1.5 A."""
    header = "Date,Step Type,Test Time (s),Voltage (V),Current (A),Capacity (Ah),Step,Cycle\n"
    start = np.datetime64("2024-01-01T00:00:00")
    with path.open("w") as handle:
        handle.write(header)
        for first in range(0, n_rows, 500_000):
            t = np.arange(first, min(first + 500_000, n_rows), dtype=float)
            half = (t // 3600).astype(int)
            current = np.where(half % 2 == 0, 1.5, -1.5)
            voltage = 3.7 + 0.4 * np.where(half % 2 == 0, 1, -1) * (t % 3600) / 3600
            stamps = (start + t.astype("timedelta64[s]")).astype(str)
            kinds = np.where(half % 2 == 0, "CC_Chg", "CC_DChg")
            table = np.column_stack([np.char.replace(stamps, "T", " "), kinds,
                                     np.char.mod("%.1f", t), np.char.mod("%.5f", voltage),
                                     np.char.mod("%.4f", current),
                                     np.char.mod("%.6f", 1.5 * (t % 3600) / 3600),
                                     (half + 1).astype(str), (half // 2 + 1).astype(str)])
            handle.write("\n".join(",".join(r) for r in table.tolist()) + "\n")


_MEASURE = """
import os, sys, time, warnings
warnings.simplefilter("ignore")
tool, path = sys.argv[1], sys.argv[2]
if tool.startswith("ssblab"):
    from ssblab.echem.io import read_cycler, delimited
    import pyarrow.csv, pyarrow.compute
    if tool == "ssblab-arrow":  # pyarrow's parser alone: the default without the fast extra
        os.environ["SSBLAB_CSV_KERNELS"] = "arrow"  # (and in a fresh process, under 1 GiB)
    elif tool == "ssblab-load":  # Numba's import and the parser's load inside the timer
        os.environ["SSBLAB_CSV_KERNELS"] = "numba"
    else:  # Numba imported and the compiled parser loaded before the timer, as pandas is
        delimited._compiled()  # imported before its own
    if tool.split("-")[-1].isdigit():  # ssblab-N: N parsing threads, whatever the file size
        delimited._threads = lambda n_bytes: int(tool.split("-")[1])
else:
    import pandas
    if tool == "pandas-pyarrow":
        import pyarrow.csv
before = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
start, cpu = time.perf_counter(), time.process_time()
if tool.startswith("ssblab"):
    data = read_cycler(path)
    n = data.n_rows
    decoded = sum(getattr(data, c).nbytes for c in data.columns) + \\
        sum(v.nbytes for v in data.extra.values())
elif tool == "pandas":
    frame = pandas.read_csv(path)
    n, decoded = len(frame), 0
elif tool == "pandas-pyarrow":
    frame = pandas.read_csv(path, engine="pyarrow")
    n, decoded = len(frame), 0
else:  # pandas reading only the columns ssblab keeps
    frame = pandas.read_csv(path, usecols=["Step Type", "Test Time (s)", "Voltage (V)",
                                           "Current (A)", "Step", "Cycle", "Capacity (Ah)"])
    n, decoded = len(frame), 0
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
# VmHWM: this process's own high-water mark (ru_maxrss keeps the parent's across exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(seconds, cpu, n, hwm * 1024 - before, decoded, os.getloadavg()[0])
"""
TEXT_TOOLS = ("ssblab", "ssblab-load", "ssblab-arrow", "ssblab-1", "pandas", "pandas-pyarrow",
              "pandas-usecols")


def bench_text_scale(quick: bool, repeats: int = 5, paths: list[Path] | None = None) -> None:
    """The generic text path on a multi-million-row CSV vs pandas.read_csv (C engine, pyarrow
    engine, and C engine told the columns ssblab keeps), each run in a fresh process, the tools
    interleaved: min and median wall time of the read, median CPU time, peak RSS growth during
    the read against the size of ssblab's decoded arrays, the 1-minute load average over the
    runs, and the whole fresh process (interpreter start, imports, read) timed from outside.
    ``ssblab`` is the default (the pipelined read on one thread per core) with the compiled
    parser of the ``fast`` extra loaded before the timer (as pandas is imported before its
    own); ``ssblab-load`` pays Numba's import and the parser's load inside the read
    (``SSBLAB_CSV_KERNELS=numba`` in a fresh process); ``ssblab-arrow`` is pyarrow's parser
    alone (no ``fast`` extra, or a fresh process's read of a file under 1 GiB); ``ssblab-1``
    is the pipeline on one parsing thread. Files after the first (e.g. a Neware
    export made by ``bench_cycling.write_neware_csv``) are read by ssblab and the pandas C
    engine only."""
    import os

    n_rows = 500_000 if quick else 5_000_000
    with tempfile.TemporaryDirectory() as tmp:
        if not paths:
            paths = [Path(tmp) / "big.csv"]
            _write_big_csv(paths[0], n_rows)
        print(f"\n## scale: generic CSV with text columns vs pandas.read_csv; {os.cpu_count()} "
              f"cores, load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for k, path in enumerate(paths):
            tools = TEXT_TOOLS if k == 0 else ("ssblab", "ssblab-arrow", "ssblab-1", "pandas")
            _text_scale_file(path, tools, repeats if k == 0 else max(1, repeats - 2))


def _text_scale_file(path: Path, tools: tuple, repeats: int) -> None:
    import subprocess

    print(f"\n{path.name}: {path.stat().st_size / 1e6:.0f} MB, {repeats} interleaved runs")
    runs: dict = {tool: [] for tool in tools}
    for _ in range(repeats):
        for tool in tools:
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", _MEASURE, tool, str(path)],
                                 capture_output=True, text=True, check=True).stdout.split()
            runs[tool].append([float(v) for v in out] + [time.perf_counter() - start])
    best, middle, whole = {}, {}, {}
    for tool in tools:
        table = np.array(runs[tool])
        seconds, cpu, n, peak, decoded, _, _ = np.median(table, axis=0)
        best[tool], middle[tool], whole[tool] = table[:, 0].min(), seconds, table[:, 6].min()
        extra = f", decoded {decoded / 1e6:.0f} MB, peak/decoded " \
                f"{np.max(table[:, 3]) / decoded:.2f} (max)" if decoded else ""
        print(f"{tool:16s} wall min {best[tool]:6.2f} s median {seconds:6.2f} s  cpu "
              f"{cpu:6.2f} s  {int(n):,} rows  peak +{peak / 1e6:.0f} MB{extra}  load "
              f"{table[:, 5].min():.1f}-{table[:, 5].max():.1f}  whole process min "
              f"{whole[tool]:.2f} s")
    for ours in [t for t in tools if t.startswith("ssblab")]:
        for tool in [t for t in tools if not t.startswith("ssblab")]:
            print(f"ratio {tool} / {ours} (wall): min {best[tool] / best[ours]:.2f}x, "
                  f"median {middle[tool] / middle[ours]:.2f}x; whole process (interpreter "
                  f"start and imports included) min {whole[tool] / whole[ours]:.2f}x")


def bench_arbin_res(repeats: int) -> None:
    """Arbin .res through mdbtools' mdb-export (when installed) and through access-parser."""
    import shutil

    from ssblab.echem.io import cycler_formats

    path = DATA / "cycling" / "arbin_18cycles.res"
    print("\n## Arbin .res: mdb-export vs access-parser inside ssblab, and cellpy (ms)")
    if shutil.which("mdb-export") is None:
        print("mdbtools not installed (apt-get install mdbtools)")
        return
    fast, _ = median_time(read_cycler, path, repeats=repeats)
    which = shutil.which
    cycler_formats.shutil.which = lambda name: None
    try:
        slow, _ = median_time(read_cycler, path, repeats=repeats)
    finally:
        cycler_formats.shutil.which = which
    row("arbin_18cycles.res access-parser / mdbtools", fast, slow)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller files")
    parser.add_argument("--text-scale", type=Path, metavar="CSV", nargs="+", default=None,
                        help="only the scale test, on these files (the first made by "
                             "_write_big_csv; then e.g. bench_cycling.write_neware_csv)")
    args = parser.parse_args(argv)
    if args.text_scale is not None:
        bench_text_scale(args.quick, paths=args.text_scale)
        return 0
    if DATA is None:
        print("../shared/data not found beside the checkout", file=sys.stderr)
        return 1
    repeats = 3 if args.quick else 7
    bench_spectra(repeats)
    bench_mpr(repeats, args.quick)
    bench_cycler(max(1, repeats // 2), args.quick)
    bench_arbin_res(max(1, repeats // 2))
    bench_text_scale(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
