"""The compiled range parser of delimited text (``fast`` extra) against Python's ``float()`` of
each field and against pyarrow's reader (``SSBLAB_CSV_KERNELS=arrow``): the same numbers bit
for bit, the same errors and warnings, and a declined range for anything outside its subset."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ssblab.echem.io import delimited, read_cycler
from ssblab.errors import SSBLabError

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def kernels(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.delenv("SSBLAB_CSV_KERNELS", raising=False)
    monkeypatch.setattr(delimited, "KERNEL_MIN_BYTES", 0)  # small files through it too
    compiled = delimited._compiled()
    assert compiled is not None
    return compiled


def _bits(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).view(np.int64)


def _parse(kernels, text: str, kinds, *, delimiter=",", decimal="."):
    """The kernel on ``text`` alone: (rows or a negative code, float rows, int rows)."""
    buf = np.frombuffer(bytearray(text.encode()), np.uint8)
    kinds = np.array(kinds, np.int8)
    slots = np.zeros(kinds.size, np.int64)
    counts = [0, 0]  # float and clock rows, whole-number rows
    for i, kind in enumerate(kinds):
        if kind:
            which = int(kind == kernels.INT)
            slots[i] = counts[which]
            counts[which] += 1
    cap = buf.size // kinds.size + 2
    out_f, out_i = np.full((counts[0], cap), -7.0), np.zeros((counts[1], cap), np.int64)
    rows = kernels.parse_range(buf, buf.size, ord(delimiter), ord(decimal), kinds, slots,
                               out_f, out_i)
    return rows, out_f[:, :max(rows, 0)], out_i[:, :max(rows, 0)]


def _formatted(rng, n):
    """Columns of numbers written in many formats, as the fields' text."""
    mags = 10.0 ** rng.integers(-12, 9, n)
    x = rng.standard_normal(n) * mags
    return {
        "f1": [f"{v:.1f}" for v in x / mags * 100],
        "f6": [f"{v:.6f}" for v in x / mags],
        "g": [f"{v:g}" for v in x],
        "e": [f"{v:.4E}" for v in x],
        "plus": [f"{v:+.4f}" for v in x / mags],
        "bare": [f"{v:.3f}".replace("0.", ".", 1) if abs(v) < 1 else f"{v:.0f}."
                 for v in x / mags],
        "r15": [f"{v:.15g}" for v in x / mags],
        "int": [str(v) for v in rng.integers(-10**15, 10**15, n)],
    }


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_kernel_equals_float_of_each_field(kernels, ending):
    rng = np.random.default_rng(7)
    columns = _formatted(rng, 2000)
    columns["int"][5] = "-0"
    columns["f6"][7] = "-0.000000"
    names = list(columns)
    lines = [",".join(row) for row in zip(*columns.values())]
    text = ending.join(lines) + ending
    kinds = [1] * (len(names) - 1) + [2]
    rows, out_f, out_i = _parse(kernels, text, kinds)
    assert rows == 2000  # nothing declined: every field is in the exact subset
    for k, name in enumerate(names[:-1]):
        truth = np.array([float(v) for v in columns[name]])  # Python: correctly rounded
        np.testing.assert_array_equal(_bits(out_f[k]), _bits(truth), err_msg=name)
    assert out_i[0].tolist() == [int(v) for v in columns["int"]]


def test_kernel_blank_lines_empty_fields_no_last_break_and_decimal_comma(kernels):
    rows, out_f, _ = _parse(kernels, "1,,3\n\n\r\n-2.5,7,\n4e2,8,9", [1, 1, 1])
    assert rows == 3
    assert out_f[0].tolist() == [1.0, -2.5, 400.0]
    assert np.isnan(out_f[1][0]) and out_f[1][1:].tolist() == [7.0, 8.0]
    assert np.isnan(out_f[2][1]) and out_f[2][[0, 2]].tolist() == [3.0, 9.0]
    rows, _, out_i = _parse(kernels, "7,-12\n\n8,0\n", [0, 2])
    assert rows == 2 and out_i[0].tolist() == [-12, 0]
    rows, out_f, _ = _parse(kernels, "1,5;2\n-,5e1;3\n", [1, 0], delimiter=";", decimal=",")
    assert rows == 2 and out_f[0].tolist() == [1.5, -5.0]


@pytest.mark.parametrize("field,kind", [
    ('"1.5"', 1), ("12345678901234567", 1), ("0.1234567890123456789", 1), ("1e-30", 1),
    ("1e23", 1), ("9007199254740993", 1), ("nan", 1), ("inf", 1), ("-inf", 1), (" 1.5", 1),
    ("1.5 ", 1), ("NA", 1), ("-", 1), ("+", 1), (".", 1), ("1.5x", 1), ("1e", 1), ("1.5.2", 1),
    ("1,5", 1), ("0x10", 2), ("1.0", 2), ("", 2), ("+5", 2), ("1e3", 2),
    ("1234567890123456789", 2), ("-", 2), ("a\"b", 0)])
def test_kernel_declines_what_it_does_not_parse_exactly(kernels, field, kind):
    text = f"1,2\n3,{field}\n5,6\n" if kind else f"1,2\n3,{field}\n"
    rows, _, _ = _parse(kernels, text, [1, kind])
    assert rows == -1, field


def test_kernel_clock_times_are_whole_seconds(kernels):
    rng = np.random.default_rng(5)
    h, m, sec = rng.integers(0, 10**6, 500), rng.integers(0, 60, 500), rng.integers(0, 60, 500)
    h[:3] = [0, 7, 999999999]
    text = "".join(f"{a}:{b:02d}:{c:02d},{a}\n" for a, b, c in zip(h, m, sec))
    rows, out_f, _ = _parse(kernels, text, [kernels.CLOCK, 0])
    assert rows == 500
    np.testing.assert_array_equal(out_f[0], (h * 3600 + m * 60 + sec).astype(float))


@pytest.mark.parametrize("field", ["1:2:03", "1:02:3", "1:02:03.5", " 1:02:03", "1d 02:03:04",
                                   "", "1234567890:00:00", "1:02:03:04", "1:0a:03", "-1:02:03"])
def test_kernel_declines_other_clock_forms(kernels, field):
    assert _parse(kernels, f"1:00:00,1\n{field},2\n", [kernels.CLOCK, 1])[0] == -1


@pytest.mark.parametrize("middle", ["0:10:00", "1d 02:03:04", "n/a"])
@pytest.mark.parametrize("head", ["clock", "text"])
def test_clock_column_read_as_the_converter_reads_it(kernels, monkeypatch, tmp_path, middle,
                                                     head):
    from ssblab.echem.io.cycler import _clock_chunk_s

    lines = [f"{k // 3600}:{k // 60 % 60:02d}:{k % 60:02d},{3 + k * 1e-5:.5f},{k % 9}"
             for k in range(0, 30000, 7)]
    lines[2000] = f"{middle},3.5,1"
    if head == "text":  # most of the first range is not clock time: the column stays text
        lines[:900] = [f"run{k},3.0,1" for k in range(900)]
    path = tmp_path / "clock.csv"
    path.write_text("Test Time,Voltage (V),Step\n" + "\n".join(lines) + "\n")
    monkeypatch.setattr(delimited, "RANGE_BYTES", 8 << 10)
    layout = delimited.sniff(path)
    names = ["Test Time", "Voltage (V)", "Step"]
    # one thread: pyarrow alone streams 1 MB batches, whose first decides differently from a
    # first range of 8 kB when the text runs for 900 rows
    for threads in (1, 2) if head == "clock" else (2,):
        read = (lambda t=threads: delimited.read_columns(
            layout, names, threads=t, converters={"Test Time": _clock_chunk_s}))
        ours, theirs = _both(monkeypatch, read)
        if head == "text":
            assert ours[0][0]["Test Time"].to_pylist() == theirs[0][0]["Test Time"].to_pylist()
            for pair in (ours, theirs):
                del pair[0][0]["Test Time"]
        _assert_same(ours, theirs, f"{middle} {head} threads={threads}")


def test_real_neware_clock_column_read_by_the_kernel(kernels, monkeypatch):
    from ssblab.echem.io.cycler import _clock_chunk_s

    monkeypatch.setattr(delimited, "RANGE_BYTES", 64 << 10)
    layout = delimited.sniff(DATA / "cycling" / "neware_export.csv")
    names = ["Cumulative Time", "Voltage(V)", "Current(A)", "Step Index", "Capacity(Ah)"]
    calls = []
    real = delimited._kernel_for

    def counting(*args):
        kernel = real(*args)
        if kernel is None:  # pyarrow alone
            return None
        parse = kernel.parse_range
        kernel.parse_range = lambda *a: calls.append(parse(*a)) or calls[-1]
        return kernel

    monkeypatch.setattr(delimited, "_kernel_for", counting)
    for threads in (1, 2):
        ours, theirs = _both(monkeypatch, lambda t=threads: delimited.read_columns(
            layout, names, threads=t, converters={"Cumulative Time": _clock_chunk_s}))
        _assert_same(ours, theirs, f"threads={threads}")
        assert ours[0][0]["Cumulative Time"].dtype == np.float64
    # Capacity(Ah) is sampled as whole numbers (0) and holds fractions further down: the kernel
    # declines that range, pyarrow refuses int64, and the file is read again as float64, all
    # of whose ranges the kernel takes
    assert sum(rows > 0 for rows in calls) >= 2 * 28, calls


@pytest.mark.parametrize("text", ["1,2\n3\n", "1,2\n3,4,5\n", "1,2\r3,4\n", "1,2\n3,4\r"])
def test_kernel_declines_field_counts_and_bare_returns(kernels, text):
    assert _parse(kernels, text, [1, 1])[0] == -1


def _both(monkeypatch, read):
    """``read()`` with the kernel and with pyarrow alone: (result or error text, warnings)."""
    outcomes = []
    for mode in ("", "arrow"):
        with monkeypatch.context() as m:
            m.setenv("SSBLAB_CSV_KERNELS", mode)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    result = read()
                except SSBLabError as exc:
                    result = f"{type(exc).__name__}: {exc}"
            outcomes.append((result, sorted(str(w.message) for w in caught)))
    return outcomes


def _assert_same(ours, theirs, label=""):
    (a, warned_a), (b, warned_b) = ours, theirs
    assert warned_a == warned_b, label
    if isinstance(a, str) or isinstance(b, str):
        assert a == b, label
        return
    if isinstance(a, tuple):  # read_columns: (columns, rows)
        assert a[1] == b[1], label
        a, b = a[0], b[0]
    else:  # CyclerData
        assert a.columns == b.columns, label
        a, b = {c: getattr(a, c) for c in a.columns}, {c: getattr(b, c) for c in b.columns}
    assert list(a) == list(b), label
    for name in a:
        assert a[name].dtype == b[name].dtype, (label, name)
        np.testing.assert_array_equal(_bits(a[name]), _bits(b[name]), err_msg=f"{label} {name}")


@pytest.mark.parametrize("ending,terminated,last", [("\n", False, "\n"), ("\r\n", True, "\n"),
                                                    ("\n", False, ""), ("\n", True, "\n\n")])
def test_read_columns_equals_pyarrow(kernels, monkeypatch, tmp_path, ending, terminated, last):
    rng = np.random.default_rng(3)
    n = 3000
    x = rng.standard_normal((n, 4)) * 10.0 ** rng.integers(-6, 6, (n, 4))
    step = rng.integers(10, 99, n)  # one width: a last line without a break is not 'cut'
    lines = [f"{a:.1f},{b:.6f},{c:g},{d:+.3e},{s}" + ("," if terminated else "")
             for (a, b, c, d), s in zip(x, step)]
    head = "t,v,i,q,Step" + ("," if terminated else "")
    path = tmp_path / "table.csv"
    path.write_bytes((head + ending + ending.join(lines) + last).encode())
    monkeypatch.setattr(delimited, "RANGE_BYTES", 8 << 10)  # many ranges, two threads
    layout = delimited.sniff(path)
    names = ["t", "v", "i", "q", "Step"]
    for threads in (1, 2):
        ours, theirs = _both(monkeypatch, lambda t=threads: delimited.read_columns(
            layout, names, threads=t))
        _assert_same(ours, theirs, f"threads={threads}")
        assert ours[0][1] == n and ours[0][0]["Step"].dtype == np.int64


@pytest.mark.parametrize("column", [1, 2])
@pytest.mark.parametrize("bad,expect", [
    ("12345678901234567", None), ("123456789012345678901", None), ('"2.5"', None),
    ("nan", None), ("", None), (" 2.5", None), ("2.5", None),
    ("2.5x", "not numeric|malformed|conversion"), ("2.5,9", "fields")])
def test_declined_ranges_read_as_pyarrow_reads_them(kernels, monkeypatch, tmp_path, bad, expect,
                                                    column):
    lines = [f"{k * 0.5:.1f},{k % 7},{k / 3:.6f}" for k in range(4000)]
    fields = lines[2500].split(",")
    fields[column] = bad
    lines[2500] = ",".join(fields)
    path = tmp_path / "t.csv"
    path.write_text("Time (s),Step,Voltage (V)\n" + "\n".join(lines) + "\n")
    monkeypatch.setattr(delimited, "RANGE_BYTES", 8 << 10)
    layout = delimited.sniff(path)
    ours, theirs = _both(monkeypatch, lambda: delimited.read_columns(
        layout, ["Time (s)", "Step", "Voltage (V)"], threads=2))
    _assert_same(ours, theirs, bad)
    if expect:
        import re

        assert isinstance(ours[0], str) and re.search(expect, ours[0]), ours[0]
    else:
        assert not isinstance(ours[0], str)


def _text_files():
    """The real-data corpus' files that are read as delimited text."""
    found = []
    for path in sorted((DATA / "cycling").glob("*")) + sorted((DATA / "cycling_corpus")
                                                              .glob("*/*")):
        if not path.is_file() or path.name.startswith("LICENSE") or path.suffix == ".md":
            continue
        head = path.read_bytes()[:4096]
        if b"\x00" not in head and path.suffix.lower() not in (".json", ".parquet", ".ftr"):
            found.append(path)
    return found


def test_real_text_files_read_the_same_with_and_without_the_kernel(kernels, monkeypatch):
    monkeypatch.setattr(delimited, "RANGE_BYTES", 64 << 10)  # several ranges a file
    accepted: dict = {}
    real = delimited._kernel_for

    def counting(layout, *args):
        kernel = real(layout, *args)
        if kernel is None:
            return None

        def parse_range(*args):
            rows = kernels.parse_range(*args)
            accepted[layout.path.name] = accepted.get(layout.path.name, 0) + (rows >= 0)
            return rows

        kernel.parse_range = parse_range
        return kernel

    monkeypatch.setattr(delimited, "_kernel_for", counting)
    files = _text_files()
    assert len(files) >= 20
    for path in files:
        ours, theirs = _both(monkeypatch, lambda p=path: read_cycler(p))
        _assert_same(ours, theirs, path.name)
    # the kernel did the work for most ranges of most files, not only declined them
    assert sum(1 for n in accepted.values() if n) >= 8, accepted


def test_fuzz_mutants_have_the_same_outcome(kernels, monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("ssblab_test_fuzz",
                                                  Path(__file__).parents[1] / "test_fuzz.py")
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    monkeypatch.setattr(delimited, "RANGE_BYTES", 4 << 10)
    rng = np.random.default_rng(11)
    seeds = [fuzz._head(DATA / "cycling" / name, tmp_path, 400)
             for name in ("maccor.txt", "neware_export.csv")]
    generic = tmp_path / "generic.csv"
    generic.write_text("Time (s),Voltage (V),Current (A),Step,Cycle\n" + "".join(
        f"{k:.1f},{3.5 + 0.1 * np.sin(k / 50):.5f},{(-1) ** (k // 100) * 0.5:.4f},"
        f"{k // 100 + 1},{k // 200 + 1}\n" for k in range(600)))
    seeds.append(generic)
    for i in range(60):
        kind, data = fuzz.mutate(seeds[i % 3].read_bytes(), rng, text=True)
        target = tmp_path / f"m{i}.csv"
        target.write_bytes(data)
        ours, theirs = _both(monkeypatch, lambda p=target: read_cycler(p))
        _assert_same(ours, theirs, f"mutant {i} ({kind})")


def test_small_files_do_not_load_numba(tmp_path):
    """Numba's import and the kernel's load cost more than a small file's parse saves."""
    path = tmp_path / "t.csv"
    path.write_text("Time (s),Voltage (V),Current (A)\n" + "".join(
        f"{k},{3 + k * 1e-4:.4f},1.0\n" for k in range(20000)))
    code = ("import sys; from ssblab.echem.io import delimited, read_cycler; "
            "delimited.KERNEL_MIN_BYTES = 0; read_cycler(sys.argv[1]); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_kernel_loaded_once_big_files_add_up(tmp_path):
    """One file under the load size keeps to pyarrow; once the process's big files add up to
    it (here 2.5 files: at the third), the compiled parser is loaded and used from then on."""
    path = tmp_path / "t.csv"
    path.write_text("Time (s),Voltage (V),Current (A)\n" + "".join(
        f"{k},{3 + k * 1e-4:.4f},1.0\n" for k in range(20000)))
    size = path.stat().st_size
    code = ("import sys; from ssblab.echem.io import delimited, read_cycler; "
            f"delimited.KERNEL_MIN_BYTES = 0; delimited.KERNEL_LOAD_BYTES = {int(2.5 * size)}; "
            "seen = []\nfor _ in range(4):\n    read_cycler(sys.argv[1]); "
            "seen.append('numba' in sys.modules)\nprint(seen)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[False, False, True, True]"


def test_import_ssblab_echem_io_does_not_import_numba():
    code = ("import sys, ssblab, ssblab.echem.io, ssblab.echem.io.delimited; "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_switch_and_missing_numba_keep_to_pyarrow(monkeypatch, tmp_path):
    monkeypatch.setenv("SSBLAB_CSV_KERNELS", "arrow")
    assert delimited._compiled() is None
    monkeypatch.setenv("SSBLAB_CSV_KERNELS", "numpy")
    with pytest.raises(SSBLabError, match="SSBLAB_CSV_KERNELS: expected 'arrow', 'numba'"):
        delimited._compiled()
    monkeypatch.delenv("SSBLAB_CSV_KERNELS")
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.setitem(sys.modules, "ssblab.echem.io._csv_numba", None)
    delimited._load_kernels.cache_clear()
    try:
        assert delimited._compiled() is None
        monkeypatch.setattr(delimited, "KERNEL_MIN_BYTES", 0)
        monkeypatch.setattr(delimited, "KERNEL_LOAD_BYTES", 0)
        path = tmp_path / "t.csv"
        path.write_text("Time (s),Voltage (V),Current (A)\n0,3.5,1\n1,3.6,1\n2,3.7,-1\n")
        assert read_cycler(path).voltage_V.tolist() == [3.5, 3.6, 3.7]
    finally:
        delimited._load_kernels.cache_clear()
