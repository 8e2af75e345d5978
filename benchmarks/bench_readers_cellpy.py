"""ssblab.read_cycler vs cellpy.get(auto_summary=False) on the real files in tests/data, in one
process. cellpy pins pandas < 3: run it from a virtual environment with ``pip install cellpy
pyarrow access-parser NewareNDA`` and mdbtools installed (``apt-get install mdbtools``), from
the repository root: ``python benchmarks/bench_readers_cellpy.py``. Prints both medians and the
ratio cellpy / ssblab (> 1: ssblab faster)."""
import contextlib
import io
import logging
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, "src")
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import cellpy

from ssblab.echem.io import read_cycler


def med(fn, *a, repeats=3, **k):
    ts, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            out = fn(*a, **k)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out

log = tempfile.mkdtemp()
cases = [("tests/data/cycling/arbin_18cycles.res", "arbin_res", {}),
         ("tests/data/cycling_corpus/cellpy/aux_one_x_dx.res", "arbin_res", {}),
         ("tests/data/cycling/neware_export.csv", "neware_txt", {}),
         ("tests/data/cycling_corpus/cellpy/batmo_bdf.csv", "batmo_bdf", {}),
         ("tests/data/cycling/biologic_gcpl.mpr", "biologics_mpr", {}),
         ("tests/data/cycling_corpus/cellpy/maccor_002.txt", "maccor_txt", {"model": "ONE"}),
         ("tests/data/cycling/maccor.txt", "maccor_txt", {"model": "ONE"})]
print(f"cellpy {cellpy.__version__}")
for path, instrument, kw in cases:
    ours, data = med(read_cycler, path)
    try:
        theirs, cell = med(cellpy.get, path, instrument=instrument, auto_summary=False,
                           custom_log_dir=log, **kw)
        note = f"{data.n_rows} rows, cellpy {len(cell.data.raw)}"
    except Exception as exc:
        theirs, note = None, f"cellpy failed: {type(exc).__name__}: {str(exc)[:80]}"
    ratio = f"{theirs / ours:.1f}x" if theirs else "-"
    shown = f"{theirs * 1e3:8.1f}" if theirs else "       -"
    print(f"{path.split('/')[-1]:28s} ssblab {ours * 1e3:8.1f} ms  cellpy {shown} ms  "
          f"{ratio:>7s}  {note}")
