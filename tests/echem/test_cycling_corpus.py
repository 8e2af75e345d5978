"""The public cycler-file corpus (tests/data/cycling_corpus, provenance in its README): every
file reads with no hand work or is refused with a message naming the format and the fix; rows,
currents and cycles agree with another reader of the same file where one exists (EC-Lab's own
text export, cellpy, NewareNDA, BEEP), and the charge counted from the current agrees with the
instrument's own capacity counter step by step."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from ssblab.echem.io import DataWarning, read_cycler
from ssblab.errors import SSBLabError

DATA = Path(__file__).resolve().parents[1] / "data"

CORPUS = DATA / "cycling_corpus"
FILES = sorted(p for p in CORPUS.glob("*/*") if p.is_file() and not p.name.startswith("LICENSE")
               and p.suffix not in (".md",))
# Files that are not cycler records, and the words their refusal must contain (format + fix).
NOT_CYCLER = {"PredictionDiagnostics_000107_0001B9_structure_short.json":
              ("BEEP structured file", "without raw_data", "summary of 56 cycles",
               "PredictionDiagnostics_000107_0001B9.008, its paths.raw"),
              "PreDiag_000233_00021F_truncated_structure.json":
              ("BEEP structured file (ProcessedCyclerRun) without raw_data", "raw cycler file"),
              "maccor_test_file_4267-66-6519.EDA0001.041": ("Maccor impedance", "spectrum"),
              "wait.mpr": ("no points", "wait"), "wait.mpt": ("no data rows", "Bio-Logic"),
              # PyProBE's cell list (name, chemistry, capacity, date), not a record
              "Experiment_Record.xlsx": ("sheet 'sample_data_neware'", "no rows of numbers",
                                         "table of numbers under one header row"),
              # added in h14i: BEEP's Arbin metadata beside its record, BatteryArchive's
              # per-cycle table beside its timeseries, EC-Lab impedance and wait files
              "FastCharge_000025_CH8_Metadata.csv": ("Arbin test-metadata table",
                                                     "not a cycler record",
                                                     "FastCharge_000025_CH8.csv, beside it"),
              "CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv":
                  ("per-cycle summary", "not a record of time, voltage and current"),
              "wait.old.mpt": ("no data rows", "Bio-Logic"),
              "peis.issue_225.no_ece.mpr": ("impedance measurement", "ssblab read spectrum"),
              "geis.issue_149.mpr": ("impedance measurement", "ssblab read spectrum"),
              "zir.mpr": ("impedance measurement", "ssblab read spectrum"),
              "zir.mpt": ("impedance measurement", "ssblab read spectrum"),
              # cellpy's copy of custom_data_001.csv with the voltage column cut out
              "custom_missing_column.csv": ("no voltage column", "--map voltage_V="),
              "PEIS-0.mpr": ("impedance measurement", "ssblab read spectrum"),
              # gamry-parser's fixtures: a header cut before its tables, an aborted EIS, a
              # square-wave voltammogram (Vfwd/Vrev/Vstep: which is 'the' voltage is the
              # user's call) and a Virtual Front Panel snapshot (no time)
              "cv_data_incompleteheader.dta": ("Gamry CV file with no CURVE table",),
              "eispot_data_curveaborted.dta": ("impedance run", "read spectrum"),
              "squarewave_data.dta": ("no voltage column", "gamry-dta", "--map voltage_V="),
              "vfp600_data.dta": ("Gamry VFP600 file", "no CURVE table", "VFPCURVE"),
              # BatteryABN's list of cells (name, protocol, rack, channel), not a record
              "sanity_check.csv": ("no time / voltage / current column",),
              # biologic-converter's text export of yadg's cp.mpr, its <Ewe>/V zeroed in
              # 117 rows while its own P/W and Ewe-Ece keep the -3.44 V of the binary
              "cp_ewe_zeroed.mpt": ("reads exactly 0 V in 117 of 121 rows", "P/W",
                                    "damaged export", "read the .mpr"),
              # galv-harvester's test suite: an empty .xlsx and a table with no header
              "bad.xlsx": ("empty", "0 bytes"),
              "headerless.csv": ("no header line of column names", "3 fields",
                                 "add a first line naming them")}
# Files whose current column has no unit: refused with the one option that fixes it.
NEEDS_UNIT = {"custom_data_001.csv": "current_mA=current",
              "BEEPDatapath_maccor_paused_memloaded.csv": "current_A=current",
              # cellpy's broken copies of custom_data_001.csv (its dev/make_bad_fixtures.py)
              **{f"custom_{name}.csv": "current_mA=current"
                 for name in ("good_small", "missing_cycle", "nan_inf", "truncated")}}
SLOW = {".res"}
# Files whose capacity counter cannot be checked by counting the logged current, and why.
COUNTER_UNCHECKED = {
    "Test25205.csv": "current pulses shorter than the logging interval (one row per ~4 min)",
    "2-1-6_61[07005012].nda": "NewareNDA's decoded counter is 1/3 of its decoded current "
                              "integral (an old BTS file; both come from NewareNDA)",
    "cp.issue_149.mpr": "(Q-Qo)/C stays near 1e-5 C while 0.02 mA flows for 200 s",
    "cp.issue_149.mpt": "the same counter in EC-Lab's own export",
    # chronoamperometry at ~0 mA logged once a second: the current changes sign between the
    # samples (EC-Lab's ox/red), EC-Lab counts the charge between them; the counter and the
    # current are both the file's (test.mpr against its own text export below)
    "test.mpr": "a potentiostatic hold near 0 mA logged at 1 Hz; the current flips sign between "
                "samples, so the logged current cannot count the charge the counter holds",
    "noHeader.mpt": "the text export of test.mpr (same reason)",
    "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.csv":
        "a 0.2 mA test logged in A with 4 decimals (0.1 mA steps): the logged current is "
        "0.2000 while the counters (capacity and energy alike) say 12 % less",
}


def _read(path, column_map=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        data = read_cycler(path, column_map=column_map)
    _rows_accounted_for(path, data, [str(w.message) for w in caught])
    return data


def _rows_accounted_for(path, data, messages):
    """Every line of a text file's table is a row of the result or named in a warning: the
    non-empty lines from the first data line, counted without parsing them."""
    start = data.metadata.get("data_line")
    if start is None or data.metadata.get("layout") or data.metadata.get("format") == "excel":
        return
    lines = [line for line in path.read_bytes().split(b"\n")[start - 1:] if line.strip()]
    dropped = sum(int(m.group(1)) for text in messages
                  for m in [re.search(r"dropped (\d+) row", text)] if m) + \
        sum("dropped the last line" in text for text in messages)
    assert data.n_rows + dropped == len(lines), (path.name, data.n_rows, dropped, len(lines))


def _step_charge_agrees(data, *, rtol=0.02, min_rows=10):
    """|integral of I dt| over each constant-step run equals the change of the instrument's
    capacity counter over it, within 2 % plus one sampling interval (the run's first interval
    is outside it). Returns the number of runs compared."""
    key = data.step.astype(np.int64) * 1_000_003 + data.cycle
    cuts = np.flatnonzero(np.diff(key)) + 1
    capacity = data.extra["capacity_mAh"]
    runs = np.split(np.arange(data.n_rows), cuts)
    # the resolution of the counter and of the current: a fraction of the largest step
    floor = 0.005 * max(abs(capacity[r[-1]] - capacity[r[0]]) for r in runs)
    checked = 0
    for rows in runs:
        if rows.size < min_rows or np.abs(data.current_mA[rows]).max() == 0:
            continue
        t, i = data.time_s[rows], data.current_mA[rows]
        if not (np.diff(t) > 0).all():
            continue
        counted = abs(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t))) / 3600
        reported = abs(capacity[rows[-1]] - capacity[rows[0]])
        slack = np.abs(i).max() * np.diff(t).max() / 3600
        assert abs(counted - reported) <= rtol * reported + slack + floor, \
            (data.source, int(data.step[rows[0]]), counted, reported)
        checked += 1
    return checked


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.name}",
                                               marks=[pytest.mark.slow] if p.suffix in SLOW
                                               else []) for p in FILES
                                  if "goldens" not in p.parts and "reference" not in p.parts])
def test_corpus_file_reads_or_is_refused_clearly(path):
    if path.name in NOT_CYCLER:
        with pytest.raises(SSBLabError) as info:
            _read(path)
        message = str(info.value)
        assert all(word.lower() in message.lower() for word in NOT_CYCLER[path.name]), message
        assert message.startswith(str(path)), message  # the user's file, not a temporary copy
        return
    if path.name in NEEDS_UNIT:
        key, column = NEEDS_UNIT[path.name].split("=")
        with pytest.raises(SSBLabError, match=f"--map {key.replace('mA', 'A')}={column} or "
                                              f"--map {key.replace('_A', '_mA')}={column}"):
            _read(path)
        data = _read(path, column_map={key: column})
    else:
        data = _read(path)
    assert data.n_rows > 0
    for column in (data.time_s, data.voltage_V, data.current_mA):
        assert np.isfinite(column).all()
    assert np.abs(data.voltage_V).max() < 100 and np.abs(data.current_mA).max() < 1e6
    if "capacity_mAh" in data.extra and np.abs(data.current_mA).max() > 0 and \
            path.name not in COUNTER_UNCHECKED:
        _step_charge_agrees(data)


def test_corpus_read_rate():
    """The issue's goal: >= 90 % of the cycler records read with no hand work."""
    records = [p for p in FILES if p.name not in NOT_CYCLER and "goldens" not in p.parts
               and "reference" not in p.parts and p.suffix not in SLOW and
               "memloaded" not in p.name]
    read = 0
    for path in records:
        try:
            _read(path)
            read += 1
        except SSBLabError:
            pass
    assert len(records) >= 60 and read / len(records) >= 0.9, (read, len(records))


# -- against EC-Lab's own text export of the same run ------------------------------------------

TWINS = sorted(p.stem for p in (CORPUS / "yadg").glob("*.mpr")
               if p.with_suffix(".mpt").exists() and p.name not in NOT_CYCLER)


def _assert_same_record(binary, text):
    """An EC-Lab binary and EC-Lab's text export of it hold the same rows, to the text's digits,
    and the same cycle numbers (EC-Lab's: half cycle // 2, from 0)."""
    assert binary.n_rows == text.n_rows
    np.testing.assert_allclose(binary.time_s, text.time_s, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(binary.voltage_V, text.voltage_V, rtol=2e-6, atol=1e-6)
    scale = max(np.abs(text.current_mA).max(), 1e-12)
    np.testing.assert_allclose(binary.current_mA, text.current_mA, rtol=1e-5, atol=1e-6 * scale)
    np.testing.assert_array_equal(binary.cycle, text.cycle)


@pytest.mark.parametrize("stem", TWINS)
def test_biologic_mpr_equals_ec_lab_text_export(stem):
    binary = _read(CORPUS / "yadg" / f"{stem}.mpr")
    text = _read(CORPUS / "yadg" / f"{stem}.mpt")
    _assert_same_record(binary, text)
    assert binary.cycle_definition == text.cycle_definition


def test_biologic_decimal_comma_export_equals_point_export():
    german = _read(CORPUS / "yadg" / "mb.issue_95.de.mpt")
    english = _read(CORPUS / "yadg" / "mb.issue_95.mpt")
    np.testing.assert_array_equal(german.voltage_V, english.voltage_V)
    np.testing.assert_array_equal(german.current_mA, english.current_mA)


# -- against cellpy's readers (its golden outputs, tests/data/cycling_corpus/cellpy/goldens) --

GOLDENS = {"loader_arbin_res": CORPUS / "cellpy" / "20160805_test001_45_cc_01.res",
           "loader_neware_txt": CORPUS / "cellpy" / "neware_uio.csv",
           "loader_batmo_bdf": CORPUS / "cellpy" / "batmo_bdf.csv",
           "loader_biologics_mpr": DATA / "cycling" / "biologic_gcpl.mpr"}


@pytest.mark.parametrize("suite", [pytest.param(s, marks=[pytest.mark.slow] if
                                                p.suffix in SLOW else []) for s, p in
                                   GOLDENS.items()] + ["loader_custom"])
def test_agrees_with_cellpy(suite):
    parquet = pytest.importorskip("pyarrow.parquet")
    golden = parquet.read_table(CORPUS / "cellpy" / "goldens" / f"{suite}.parquet")
    units = json.loads((CORPUS / "cellpy" / "goldens" / f"{suite}.units.json").read_text())
    current_mA = golden.column("current").to_numpy() * {"A": 1e3, "mA": 1.0}[units["current"]]
    if suite == "loader_custom":  # cellpy's instrument file for it says mA
        data = _read(CORPUS / "cellpy" / "custom_data_001.csv",
                     column_map={"current_mA": "current"})
        current_mA = golden.column("current").to_numpy()
        # cellpy keeps the two rows with empty fields that ssblab drops and names
        keep = np.isfinite(current_mA) & np.isfinite(golden.column("voltage").to_numpy())
        golden, current_mA = golden.filter(keep), current_mA[keep]
    else:
        data = _read(GOLDENS[suite])
    assert data.n_rows == golden.num_rows
    np.testing.assert_allclose(data.voltage_V, golden.column("voltage").to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(data.current_mA, current_mA, rtol=1e-6,
                               atol=1e-9 * np.abs(current_mA).max())
    time = golden.column("test_time").to_numpy()
    np.testing.assert_allclose(data.time_s - data.time_s[0], time - time[0], rtol=1e-6,
                               atol=1e-3)
    if data.cycle_definition == "file":
        cycles = golden.column("cycle_index").to_numpy()
        np.testing.assert_array_equal(np.diff(data.cycle), np.diff(cycles))


# -- against NewareNDA's reference tables (BSD-3) ------------------------------------------------

NEWARE = ["TestFile.nda", "new_nda_file.nda", "123456789012_Unit27_Example_Data_File.ndax",
          "2-1-6_61[07005012].nda"]


@pytest.mark.parametrize("name", NEWARE)
def test_neware_agrees_with_newarenda_reference(name):
    feather = pytest.importorskip("pyarrow.feather")
    path = CORPUS / "newarenda" / name
    reference = feather.read_table(CORPUS / "newarenda" / "reference" /
                                   (path.stem + ".ftr")).to_pandas()
    # NewareNDA lists record 1 twice in one file; each record once is what the file holds
    reference = reference.drop_duplicates("Index").reset_index(drop=True)
    data = _read(path)
    assert data.n_rows == len(reference)
    np.testing.assert_allclose(data.voltage_V, reference["Voltage"], rtol=1e-6)
    np.testing.assert_allclose(data.current_mA, reference["Current(mA)"], rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_array_equal(data.cycle, reference["Cycle"])
    # per-cycle capacities: the counter's charge and discharge ends equal NewareNDA's
    net = (reference["Charge_Capacity(mAh)"] - reference["Discharge_Capacity(mAh)"]).to_numpy()
    np.testing.assert_allclose(data.extra["capacity_mAh"], net, rtol=1e-6, atol=1e-6)


# -- against BEEP's own parse of a Maccor file ---------------------------------------------------


def test_maccor_agrees_with_beep():
    pa_csv = pytest.importorskip("pyarrow.csv")
    beep = pa_csv.read_csv(CORPUS / "beep" / "BEEPDatapath_maccor_paused_memloaded.csv")
    data = _read(CORPUS / "beep" / "PredictionDiagnostics_000151_paused.052")
    assert data.n_rows == beep.num_rows
    # BEEP rounds its test time to 0.05 s
    np.testing.assert_allclose(data.time_s, beep.column("test_time").to_numpy(), atol=0.051)
    np.testing.assert_allclose(data.voltage_V, beep.column("voltage").to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(data.current_mA, 1e3 * beep.column("current").to_numpy(),
                               rtol=1e-7)
    np.testing.assert_array_equal(data.cycle, beep.column("cycle_index").to_numpy())


def test_beep_structured_file_with_raw_data_reads_its_records(tmp_path):
    """A BEEPDatapath JSON keeps BEEP's parse of the instrument file under raw_data (the layout
    of beep/structure/base.py as_dict, columns as DataFrame.to_dict("list")): built here from
    BEEP's own parse of a Maccor file, it reads as BEEP's numbers and as the Maccor file."""
    pa_csv = pytest.importorskip("pyarrow.csv")
    beep = pa_csv.read_csv(CORPUS / "beep" / "BEEPDatapath_maccor_paused_memloaded.csv")
    raw = {name: beep.column(name).to_pylist() for name in beep.column_names if name}
    path = tmp_path / "PredictionDiagnostics_000151_paused_structure.json"
    path.write_text(json.dumps({"@module": "beep.structure.maccor", "@class": "MaccorDatapath",
                                "raw_data": raw, "metadata": {"barcode": "000151"},
                                "paths": {"raw": "/data/PredictionDiagnostics_000151_paused.052"},
                                "summary": None, "cycles_interpolated": None}, default=str))
    data = _read(path)
    assert data.metadata["format"] == "beep-structured" and data.n_rows == beep.num_rows
    np.testing.assert_array_equal(data.time_s, beep.column("test_time").to_numpy())
    np.testing.assert_array_equal(data.voltage_V, beep.column("voltage").to_numpy())
    np.testing.assert_allclose(data.current_mA, 1e3 * beep.column("current").to_numpy(),
                               rtol=1e-15)
    np.testing.assert_array_equal(data.cycle, beep.column("cycle_index").to_numpy())
    np.testing.assert_array_equal(data.step, beep.column("step_index").to_numpy())
    counter = beep.column("charge_capacity").to_numpy() - \
        beep.column("discharge_capacity").to_numpy()
    np.testing.assert_allclose(data.extra["capacity_mAh"], 1e3 * counter, rtol=1e-12)
    maccor = _read(CORPUS / "beep" / "PredictionDiagnostics_000151_paused.052")
    np.testing.assert_array_equal(data.cycle, maccor.cycle)
    np.testing.assert_allclose(data.current_mA, maccor.current_mA, rtol=1e-7)


def test_parquet_and_excel_copies_read_alike(tmp_path):
    """The same table as CSV, Parquet and .xlsx gives the same data."""
    pa_csv = pytest.importorskip("pyarrow.csv")
    parquet = pytest.importorskip("pyarrow.parquet")
    openpyxl = pytest.importorskip("openpyxl")
    source = CORPUS / "beep" / "FastCharge_000025_CH8.csv"
    table = pa_csv.read_csv(source)
    parquet.write_table(table, tmp_path / "copy.parquet")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(table.column_names)
    for row in zip(*(table.column(n).to_pylist() for n in table.column_names)):
        sheet.append(list(row))
    book.save(tmp_path / "copy.xlsx")
    original = _read(source)
    for copy in ("copy.parquet", "copy.xlsx"):
        data = _read(tmp_path / copy)
        for name in ("time_s", "voltage_V", "current_mA", "step", "cycle"):
            np.testing.assert_allclose(getattr(data, name), getattr(original, name), rtol=1e-12)


@pytest.mark.slow
def test_split_read_equals_one_range_on_the_corpus(monkeypatch):
    """Every text file read in 4 kB ranges by 3 threads gives the rows, values and warnings
    of the one-thread read (forced; by default only files over 8 MB are read in ranges)."""
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "RANGE_BYTES", 4096)

    def read(path, threads):
        monkeypatch.setattr(delimited, "_threads", lambda n_bytes: threads)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            try:
                data = read_cycler(path)
            except SSBLabError as exc:
                return str(exc), []
        return data, sorted(str(w.message) for w in caught)

    compared = 0
    for path in FILES:
        if path.suffix in SLOW or "goldens" in path.parts or "reference" in path.parts or \
                path.name in NOT_CYCLER or path.name in NEEDS_UNIT:
            continue
        one, warned_one = read(path, 1)
        if isinstance(one, str) or one.metadata.get("data_line") is None:
            continue  # binary formats: not read by the text path
        three, warned_three = read(path, 3)
        for column in ("time_s", "voltage_V", "current_mA", "step", "cycle"):
            np.testing.assert_array_equal(getattr(one, column), getattr(three, column))
        assert warned_one == warned_three, path.name
        compared += 1
    assert compared >= 30


# -- files from navani, battery-data-toolkit and the Battery Data Format (README provenance) ----


def test_batterydata_records_agree_with_their_cycle_summary():
    """battery-data-toolkit's BatteryData file pair: the per-cycle charge and discharge of the
    summary (the largest value of the instrument's counter in the cycle) against summarise()
    on the records, for every cycle where one step run carries that charge (the counter
    restarts at each step, so with several, as in the HPPC cycle, the summary holds one
    step's)."""
    pa_csv = pytest.importorskip("pyarrow.csv")
    from ssblab.echem.celltests.cycling import summarise

    path = CORPUS / "batdata" / "p492-13-raw.csv"
    raw = pa_csv.read_csv(path)
    truth = pa_csv.read_csv(CORPUS / "batdata" / "reference" / "p492-13-summary.csv")
    summary = summarise(_read(path))
    cycles = raw.column("Cycle_Index").to_numpy()
    step = raw.column("Step").to_numpy()
    runs = np.r_[0, np.cumsum(np.diff(step) != 0)]  # a step repeated in a loop: a new run
    largest = np.nanmax(truth.column("Q_chg").to_numpy()[:summary.n_cycles]) * 1e3
    compared = 0
    for row, cycle in enumerate(summary.cycle):
        for counter, ours, column in (("Charge_Capacity_Ah", summary.charge_mAh, "Q_chg"),
                                      ("Discharge_Capacity_Ah", summary.discharge_mAh, "Q_dis")):
            values = raw.column(counter).to_numpy()
            counting = [run for run in np.unique(runs[cycles == cycle])
                        if np.ptp(values[runs == run]) > 0]
            reported = 1e3 * truth.column(column).to_numpy()[cycle - 1]
            if not np.isfinite(reported) or len(counting) != 1:
                continue
            # 2 % (a CV tail logged at long intervals) plus 0.5 % of the largest cycle
            assert abs(ours[row] - reported) <= 0.02 * reported + 0.005 * largest, \
                (int(cycle), column, float(ours[row]), reported)
            compared += 1
    assert compared >= 9


def test_sintef_landt_export_agrees_with_its_battery_data_format_conversion():
    """SINTEF's CSV of a Landt run and the Battery Data Format project's conversion of it
    (read here with pyarrow): the same records, currents signed alike, the same capacity."""
    pa_csv = pytest.importorskip("pyarrow.csv")
    data = _read(CORPUS / "bdf" / "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.csv")
    bdf = pa_csv.read_csv(CORPUS / "bdf" / "reference" /
                          "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv")
    assert data.n_rows == bdf.num_rows == 25162
    np.testing.assert_allclose(data.time_s, bdf.column("test_time_second").to_numpy(), atol=1e-9)
    np.testing.assert_allclose(data.voltage_V, bdf.column("voltage_volt").to_numpy(), atol=1e-9)
    np.testing.assert_allclose(data.current_mA, 1e3 * bdf.column("current_ampere").to_numpy(),
                               atol=1e-9)
    np.testing.assert_array_equal(data.step, bdf.column("step_index").to_numpy())
    net = bdf.column("charging_capacity_ah").to_numpy() - \
        bdf.column("discharging_capacity_ah").to_numpy()
    np.testing.assert_allclose(data.extra["capacity_mAh"], 1e3 * net, atol=1e-9)
    # the Battery Data Format file itself reads alike, by its machine-readable column names
    converted = _read(CORPUS / "bdf" / "reference" /
                      "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv")
    np.testing.assert_array_equal(converted.current_mA, data.current_mA)
    np.testing.assert_allclose(converted.extra["capacity_mAh"], data.extra["capacity_mAh"])


def test_bdf_file_whose_time_restarts_is_read_and_warned():
    """The Battery Data Format project's 'Time_Bug' Neware file: its test time restarts at 0
    19 times (the bug its name records); the rows are kept as in the file, with a warning."""
    with pytest.warns(DataWarning, match=r"time goes back at 19 place\(s\)"):
        data = read_cycler(CORPUS / "bdf" /
                           "SINTEF__SLPBA842124HV__2024-10-23__Rate_25degC__Neware__Time_Bug"
                           ".bdf.csv")
    assert data.n_rows == 13086 and data.metadata["columns"]["cycle"] == "cycle_count"


@pytest.mark.parametrize("name", ["batdata/maccor_example.001", "batdata/maccor_example.002",
                                  "cellpy/maccor_three.txt"])
def test_maccor_test_time_agrees_with_the_wall_clock(name):
    """'Test (Min)' (minutes) and 'TestTime' (d hh:mm:ss) against the 'DPt Time' stamps of the
    same rows, parsed here with datetime; the milli-unit export's mAmps and mV columns."""
    from datetime import datetime

    path = CORPUS / name
    lines = path.read_text(encoding="latin-1").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Rec#"))
    names = lines[start].split("\t")
    rows = [line.split("\t") for line in lines[start + 1:] if line.strip()]
    clock = [row[names.index("DPt Time")].strip() for row in rows]
    form = next(f for f in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%H:%M:%S")
                if _parses(clock[0], f))
    stamps = np.array([datetime.strptime(c, form).timestamp() for c in clock])
    data = _read(path)
    assert data.n_rows == len(rows)
    # a wrong unit is a factor of 60; a test clock can drift from the wall clock by ~1e-4
    np.testing.assert_allclose(data.time_s - data.time_s[0], stamps - stamps[0], rtol=1e-3,
                               atol=1.0)
    if "mAmps" in names:
        amps = np.array([float(row[names.index("mAmps")]) for row in rows])
        np.testing.assert_allclose(np.abs(data.current_mA), np.abs(amps), rtol=1e-12)
        volts = np.array([float(row[names.index("Volts")]) for row in rows])
        np.testing.assert_allclose(data.voltage_V, volts / 1e3, rtol=1e-12)
        assert 1.0 < data.voltage_V.max() < 5.0 and "mV" in data.metadata["voltage_note"]


def _parses(text, form):
    from datetime import datetime

    try:
        datetime.strptime(text, form)
    except ValueError:
        return False
    return True


def test_maccor_volts_beyond_any_cell_are_refused(tmp_path):
    """A 'Volts' column in mV in an export whose currents are in A is not guessed: refused with
    the --map entry that says mV (and read with it)."""
    text = (CORPUS / "batdata" / "maccor_example.001").read_text(encoding="latin-1")
    lines = text.splitlines()
    rows = [line.split("\t") for line in lines[2:]]
    for row in rows:
        row[8] = f"{float(row[8]) * 1e3:.4f}"
    path = tmp_path / "millivolts.001"
    path.write_text("\n".join(lines[:2] + ["\t".join(r) for r in rows]) + "\n")
    with pytest.raises(SSBLabError, match="--map voltage_mV=Volts"):
        read_cycler(path)
    data = read_cycler(path, column_map={"voltage_mV": "Volts"})
    np.testing.assert_allclose(data.voltage_V, _read(CORPUS / "batdata" /
                                                     "maccor_example.001").voltage_V)


def test_gzip_compressed_export_reads_as_the_file_inside(tmp_path):
    """The Battery Data Format project's Arbin .res.gz reads as the .res gunzip gives; a
    truncated .gz is refused naming it."""
    import gzip

    packed = CORPUS / "bdf" / "mits7-0.res.gz"
    plain = tmp_path / "mits7-0.res"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    data, reference = _read(packed), _read(plain)
    assert data.source == str(packed) and data.metadata["compression"] == "gzip"
    assert data.n_rows == reference.n_rows == 8
    for column in ("time_s", "voltage_V", "current_mA", "step", "cycle"):
        np.testing.assert_array_equal(getattr(data, column), getattr(reference, column))
    broken = tmp_path / "broken.res.gz"
    broken.write_bytes(packed.read_bytes()[:2000])
    with pytest.raises(SSBLabError, match=f"{re.escape(str(broken))}: a gzip file that cannot "
                                          "be inflated"):
        read_cycler(broken)


def test_biologic_rest_only_file_without_current_is_open_circuit():
    """A Modulo Bat file of one rest step stores no current column, only EC-Lab's mode 3 (rest):
    read as open circuit (0 mA), as an OCV technique is."""
    data = _read(CORPUS / "bdf" / "MB-0.mpr")
    assert data.n_rows == 2 and not data.current_mA.any()
    assert data.metadata["technique"] == "MB" and "open-circuit" in data.metadata["current_note"]


def test_neware_bts8_workbook_agrees_with_its_own_step_and_cycle_sheets():
    """A Neware BTS 8 Excel export (BatteryABN, MIT): every sheet declares the size 'A1', which
    read-only openpyxl trusts; the 'record' sheet must come back whole, timed by 'Total Time',
    and its charge per step and per cycle equal the export's own 'step' and 'cycle' sheets."""
    openpyxl = pytest.importorskip("openpyxl")
    from ssblab.echem.celltests.cycling import summarise

    path = CORPUS / "batteryabn" / ("GMJuly2022_CELL002_RPT_3_P0C_5P0PSI_20230110_R0_CH041_"
                                    "20230110143333_37_2_1_2818580185.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the export has no default style
        book = openpyxl.load_workbook(path, data_only=True)  # not read-only: sizes from cells
    sheets = {name: list(book[name].iter_rows(values_only=True))
              for name in ("record", "step", "cycle")}
    data = _read(path)
    assert data.metadata["sheet"] == "record" and data.metadata["columns"]["time_s"] == \
        "Total Time"
    assert data.n_rows == len(sheets["record"]) - 1 == 2833
    assert (np.diff(data.time_s) >= 0).all()
    names = sheets["step"][0]
    for row in sheets["step"][1:]:
        step = row[names.index("Step Index")]
        rows = data.step == step
        t, i = data.time_s[rows], data.current_mA[rows]
        counted = np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t)) / 3600
        reported = 1e3 * (row[names.index("Chg. Cap.(Ah)")] - row[names.index("DChg. Cap.(Ah)")])
        assert abs(counted - reported) <= 0.002 * abs(reported) + 0.05, (step, counted, reported)
    names = sheets["cycle"][0]
    summary = summarise(data)
    for row, charge, discharge in zip(sheets["cycle"][1:], summary.charge_mAh,
                                      summary.discharge_mAh, strict=True):
        assert charge == pytest.approx(1e3 * row[names.index("Chg. Cap.(Ah)")], rel=2e-3)
        assert discharge == pytest.approx(1e3 * row[names.index("DChg. Cap.(Ah)")], abs=0.05)


# -- files from biologic-converter, gamry-parser and echemdb (README provenance) ---------------

BC = CORPUS / "biologic_converter"
# (EC-Lab binary, EC-Lab's own text export of it)
EXPORT_TWINS = [(BC / "cv.mpr", BC / "cv.mpt"),
                (BC / "test.mpr", BC / "noHeader.mpt"),  # exported without the header block
                (CORPUS / "yadg" / "mb.mpr", BC / "mb.mpt"),  # two projects, one run
                # the text export of an older EC-Lab (yadg's ocv.old.mpt) of the same run
                (CORPUS / "yadg" / "ocv.mpr", CORPUS / "yadg" / "ocv.old.mpt"),
                # biologic-converter's own EC-Lab exports of yadg's binaries (other headers)
                (CORPUS / "yadg" / "lsv.mpr", BC / "lsv.mpt"),
                (CORPUS / "yadg" / "ca.mpr", BC / "ca.mpt")]


@pytest.mark.parametrize("binary, text", EXPORT_TWINS, ids=[t.name for _, t in EXPORT_TWINS])
def test_biologic_binary_equals_its_text_export_from_another_project(binary, text):
    _assert_same_record(_read(binary), _read(text))


def test_text_export_without_header_block_reads_as_with_it():
    """EC-Lab's export 'without header' starts with an empty line, then the column names."""
    head = (BC / "noHeader.mpt").read_bytes()[:200].split(b"\n")
    assert head[0].strip() == b"" and head[1].startswith(b"mode\tox/red")
    data = _read(BC / "noHeader.mpt")
    assert data.metadata["format"] == "biologic-mpt" and data.n_rows == 4501
    assert data.metadata["columns"]["current_mA"] == "I/mA"


def test_long_gcpl_cycles_equal_ec_lab_half_cycle_counter():
    """A 31-cycle GCPL run (480 h): summarise()'s per-cycle charge and discharge equal the
    end values of EC-Lab's own 'Q charge/discharge/mA.h' counter in each half cycle."""
    from ssblab.echem.celltests.cycling import summarise
    from ssblab.echem.io.biologic import read_mpr

    path = BC / "jdb11-4.mpr"
    raw = read_mpr(path).columns
    half = np.asarray(raw["half cycle"]).astype(int)
    counter = np.asarray(raw["Q charge/discharge/mA.h"])
    charge, discharge = {}, {}
    for h in np.unique(half):
        q = counter[half == h]
        if q.max() > -q.min():
            charge[h // 2] = q.max()
        else:
            discharge[h // 2] = -q.min()
    summary = summarise(_read(path))
    assert summary.n_cycles == 31 and set(charge) | set(discharge) == set(summary.cycle)
    for k, cycle in enumerate(summary.cycle):
        assert summary.charge_mAh[k] == pytest.approx(charge.get(cycle, 0.0), rel=1e-6, abs=1e-9)
        assert summary.discharge_mAh[k] == pytest.approx(discharge.get(cycle, 0.0), rel=1e-6,
                                                         abs=1e-9)


ECHEMDB = CORPUS / "echemdb"


@pytest.mark.parametrize("name, current", [("gamry_cv.DTA", "Im / A"),
                                           ("eclab_ca.mpt", "I/mA"), ("eclab_cv.mpt", "<I>/mA")])
def test_agrees_with_echemdb_converters(name, current):
    """echemdb-converters' own parse of its test files (GPL-3.0 data, read here with pyarrow):
    a Gamry CV with decimal commas and an aborted run, and two EC-Lab exports."""
    pa_csv = pytest.importorskip("pyarrow.csv")
    truth = pa_csv.read_csv(ECHEMDB / "reference" / (Path(name).stem + ".csv.expected"))
    if name.endswith(".DTA"):
        with pytest.warns(DataWarning, match="aborted; read the 81 points"):
            data = read_cycler(ECHEMDB / name)
        time, volts = truth.column("T / s"), truth.column("Vf / V vs. Ref.")
        amps_mA = 1e3 * truth.column(current).to_numpy()
        np.testing.assert_array_equal(data.cycle, truth.column("Cycle / #").to_numpy())
        assert data.metadata["technique"] == "CV"
    else:
        data = _read(ECHEMDB / name)
        time, volts = truth.column("time/s"), truth.column("Ewe/V")
        amps_mA = truth.column(current).to_numpy()
    assert data.n_rows == truth.num_rows
    np.testing.assert_allclose(data.time_s, time.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(data.voltage_V, volts.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(data.current_mA, amps_mA, rtol=1e-6)


GP = CORPUS / "gamry_parser"


def test_gamry_dc_records_decimal_comma_and_open_circuit():
    """gamry-parser's CHRONOA fixture and its German-locale copy (decimal commas; the two differ
    only in the first row), and its open-circuit (CORPOT) record: no Im column, 0 mA."""
    point, comma = _read(GP / "chronoa_data.dta"), _read(GP / "chronoa_de_data.dta")
    assert point.n_rows == comma.n_rows == 10 and point.metadata["technique"] == "CHRONOA"
    for column in ("time_s", "voltage_V", "current_mA"):
        np.testing.assert_array_equal(getattr(point, column)[1:], getattr(comma, column)[1:])
    rows = [line.split("\t") for line in (GP / "chronoa_data.dta").read_text(
        encoding="latin-1").splitlines() if line.startswith("\t") and line[1:2].isdigit()]
    np.testing.assert_allclose(point.current_mA, [1e3 * float(r[4]) for r in rows], rtol=1e-12)
    ocp = _read(GP / "ocp_data.dta")
    assert ocp.metadata["technique"] == "CORPOT" and not ocp.current_mA.any()
    assert "open-circuit" in ocp.metadata["current_note"] and ocp.n_rows == 21


EIS = DATA / "eis_corpus"


@pytest.mark.parametrize("name", ["biologic_converter/peis.mpt", "biologic_converter/geis.mpt",
                                  "biologic_converter/zir.mpt", "yadg/peis.mpt",
                                  "gamry_parser/eispot_data.dta"])
def test_impedance_files_are_not_read_as_cycling(name):
    """An EC-Lab PEIS/GEIS/ZIR text export (read lazily, column by column) and a Gamry EIS
    file are refused as cycler data, naming the command that reads them."""
    with pytest.raises(SSBLabError, match="read spectrum"):
        read_cycler(EIS / name)


@pytest.mark.parametrize("name", ["biologic_converter/cv.mpr", "biologic_converter/cv.mpt",
                                  "echemdb/gamry_cv.DTA", "yadg/lsv.mpr",
                                  "yadg/cva.issue_202.mpt", "yadg/cv.issue_149.mpr",
                                  "yadg/cv.issue_149.mpt", "yadg/lsv.issue_195.mpr",
                                  "gamry_parser/cv_data.dta"])
def test_voltammetry_is_not_summarised_as_cycling(name):
    """A slow CV (biologic-converter's cv.mpr: 22 h half cycles, 67 mAh of anodic charge) passed
    as a one-charge cycling test; its technique, as the file names it, says it is a potential
    sweep. The .mpr technique codes are named by the EC-Lab exports beside them."""
    from ssblab.echem.celltests.cycling import summarise

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the aborted Gamry run
        summary = summarise(read_cycler(CORPUS / name))
    assert not summary.ok and "voltammetry record" in summary.reason


@pytest.mark.parametrize("stem, name", [("biologic_converter/cv", "Cyclic Voltammetry"),
                                        ("yadg/lsv", "Linear Sweep Voltammetry"),
                                        ("yadg/cva.issue_202", "Cyclic Voltammetry Advanced")])
def test_mpr_technique_code_is_named_as_its_text_export_names_it(stem, name):
    from ssblab.echem.io.biologic import read_mpr

    text = (CORPUS / f"{stem}.mpt").read_text(encoding="latin-1").splitlines()
    assert text[3].strip() == name
    code = read_mpr(CORPUS / f"{stem}.mpr").metadata["technique"]
    assert code == "".join(word[0] for word in name.split()).upper()


def test_gamry_dc_record_cut_or_damaged_is_named(tmp_path):
    """A cut last line of a Gamry CURVE table is dropped with a warning; a damaged line inside
    it is refused naming the line (copies of echemdb's Gamry CV made here)."""
    source = (ECHEMDB / "gamry_cv.DTA").read_bytes()
    cut = tmp_path / "cut.DTA"
    cut.write_bytes(source[:-40])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        assert read_cycler(cut).n_rows == 80
    assert any("dropped the last line 148" in str(w.message) for w in caught)
    lines = source.split(b"\n")
    lines[100] = lines[100][:30]
    damaged = tmp_path / "damaged.DTA"
    damaged.write_bytes(b"\n".join(lines))
    with pytest.raises(SSBLabError, match="line 101 of the Gamry CURVE table holds 4 fields, "
                                          "the header 11"):
        read_cycler(damaged)


# -- added in h14i (README: "Added in h14i") -----------------------------------------------------

CELLPY = CORPUS / "cellpy"


def _read_named(path, column_map=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        data = read_cycler(path, column_map=column_map)
    return data, " | ".join(str(w.message) for w in caught)


def test_cellpy_broken_copies_drop_and_name_each_defect():
    """cellpy's dev/make_bad_fixtures.py cuts the first 60 data rows of custom_data_001.csv and
    breaks one thing in each copy: voltages NaN, inf, -inf in data rows 3, 7, 11; cycle 1 for
    rows 0-19, 2 for 20-39, 3 for 40-59 with cycle 2 cut out; the last row cut in half. Each
    defect is dropped and named; every other row equals the clean copy's."""
    current = {"current_mA": "current"}
    good, _ = _read_named(CELLPY / "custom_good_small.csv", current)
    assert good.n_rows == 60
    bad, said = _read_named(CELLPY / "custom_nan_inf.csv", current)
    keep = np.setdiff1d(np.arange(60), [3, 7, 11])
    assert bad.n_rows == 57 and "data rows [3, 7, 11]" in said
    np.testing.assert_array_equal(bad.voltage_V, good.voltage_V[keep])
    np.testing.assert_array_equal(bad.time_s, good.time_s[keep])
    gap, said = _read_named(CELLPY / "custom_missing_cycle.csv", current)
    kept = np.r_[0:20, 40:60]
    np.testing.assert_array_equal(gap.time_s, good.time_s[kept])
    np.testing.assert_array_equal(gap.cycle, np.repeat([1, 3], 20))
    assert "jumps (1 -> 3" in said
    cut, said = _read_named(CELLPY / "custom_truncated.csv", current)
    np.testing.assert_array_equal(cut.voltage_V, good.voltage_V[:59])
    assert "dropped the last line" in said and "truncated" in said


def test_battdat_parquet_takes_units_from_its_table_metadata():
    """battery-data-toolkit writes bare column names ('current', 'voltage', 'test_time') and
    their units in the Parquet metadata 'table_metadata'; the current is A there and positive
    while charging, so in the (simulated) resistor-and-OCV cell of its example every current
    step moves the voltage the same way."""
    parquet = pytest.importorskip("pyarrow.parquet")
    path = CORPUS / "batdata" / "battdat_single-resistor-complex-charge_raw_data.parquet"
    table = parquet.read_table(path)
    declared = json.loads(table.schema.metadata[b"table_metadata"])
    assert declared["current"]["units"] == "A" and "positive" in \
        declared["current"]["description"].lower()
    data = _read(path)
    assert data.n_rows == table.num_rows
    np.testing.assert_allclose(data.current_mA, 1e3 * table.column("current").to_numpy())
    np.testing.assert_allclose(data.time_s, table.column("test_time").to_numpy())
    steps = np.flatnonzero(np.abs(np.diff(data.current_mA)) > 1)
    assert steps.size >= 3
    assert (np.sign(np.diff(data.voltage_V)[steps]) == np.sign(np.diff(data.current_mA)[steps])).all()


def test_pyprobe_parquet_follows_its_protocol():
    """PyProBE's LG M50 RPT (its tests/sample_data/LGM50, BioLogic data in PyProBE's Parquet
    layout): its README.yaml gives step 1 as 'Charge at 1.5 A until 4.2 V' and step 5 as
    'Discharge at 0.5 A until 2.5 V'."""
    parquet = pytest.importorskip("pyarrow.parquet")
    path = next((CORPUS / "pyprobe").glob("NDK - LG M50*.parquet"))
    data = _read(path)
    assert data.n_rows == parquet.read_metadata(path).num_rows
    charge, discharge = data.step == 1, data.step == 5
    assert np.median(data.current_mA[charge]) == pytest.approx(1500, rel=0.01)
    assert data.voltage_V[charge][-1] == pytest.approx(4.2, abs=0.01)
    assert np.median(data.current_mA[discharge]) == pytest.approx(-500, rel=0.01)
    assert data.voltage_V[discharge][-1] == pytest.approx(2.5, abs=0.01)


def test_pec_capacities_equal_its_own_counters():
    """PEC's export counts 'Charge Capacity (mAh)' and 'Discharge Capacity (mAh)' through each
    cycle; summarise() gives each cycle's ends of them (the first 3000 rows of cellpy's pec.csv:
    the C/25 discharge of cycle 0 and the start of the charge of cycle 1)."""
    from ssblab.echem.celltests.cycling import summarise

    pa_csv = pytest.importorskip("pyarrow.csv")
    path = CELLPY / "pec_first3000.csv"
    skip = next(i for i, line in enumerate(path.read_text(encoding="latin-1").splitlines())
                if line.startswith("Test,Cell,Rack"))
    pec = pa_csv.read_csv(path, read_options=pa_csv.ReadOptions(skip_rows=skip)).to_pandas()
    summary = summarise(_read(path))
    counters = pec.groupby("Cycle")[["Charge Capacity (mAh)", "Discharge Capacity (mAh)"]].max()
    assert list(summary.cycle) == list(counters.index)
    np.testing.assert_allclose(summary.charge_mAh, counters["Charge Capacity (mAh)"], rtol=2e-3,
                               atol=1.0)
    np.testing.assert_allclose(summary.discharge_mAh, counters["Discharge Capacity (mAh)"],
                               rtol=2e-3, atol=1.0)


def test_ec_lab_11_columns_883_884_decode():
    """yadg's gcpl.issue_230.mpr (EC-Lab data module 11) records two columns with IDs 883 and
    884 (yadg's 'Energy ce charge/discharge', W.h, float64): with them the records fill the
    module exactly and its (Q-Qo) counter agrees with its current step by step."""
    from ssblab.echem.io.biologic import read_mpr

    raw = read_mpr(CORPUS / "yadg" / "gcpl.issue_230.mpr")
    assert {"Energy ce charge/W.h", "Energy ce discharge/W.h"} <= set(raw.columns)
    data = _read(CORPUS / "yadg" / "gcpl.issue_230.mpr")
    assert _step_charge_agrees(data) >= 4


def test_biologic_cp_agrees_with_biologic_converters_parse():
    """biologic-converter's expected parse of cp.mpr (reference/cp-data.json: one record per
    point, values under 'n') against the binary and EC-Lab's text export in yadg; its own
    export of the same run (cp_ewe_zeroed.mpt) is refused: <Ewe>/V is 0 in 117 rows there."""
    truth = json.loads((BC / "reference" / "cp-data.json").read_text())
    time = np.array([p["raw"]["time"]["n"] for p in truth])
    amps = [p["raw"]["I"] for p in truth]
    assert {a["u"] for a in amps} == {"mA"}
    volts = np.array([p["raw"]["<Ewe>"]["n"] for p in truth])
    for data in (_read(CORPUS / "yadg" / "cp.mpr"), _read(CORPUS / "yadg" / "cp.mpt")):
        assert data.n_rows == len(truth)
        np.testing.assert_allclose(data.time_s, time, rtol=1e-9)
        np.testing.assert_allclose(data.current_mA, [a["n"] for a in amps], rtol=1e-5)
        np.testing.assert_allclose(data.voltage_V, volts, rtol=1e-5, atol=1e-6)


def test_battery_data_format_legacy_parquet_names_carry_units():
    """The BDF project's legacy Parquet fixture names its columns with units in words
    (test_time_millisecond, current_ampere, voltage_volt) and counts cycles in
    cycle_dimensionless: read in s, mA and V, with that cycle count."""
    parquet = pytest.importorskip("pyarrow.parquet")
    path = CORPUS / "bdf" / "legacy.bdf.parquet"
    table = parquet.read_table(path)
    data = _read(path)
    assert data.n_rows == table.num_rows and data.cycle_definition == "file"
    np.testing.assert_allclose(data.time_s, table.column("test_time_millisecond").to_numpy() / 1e3)
    np.testing.assert_allclose(data.current_mA, 1e3 * table.column("current_ampere").to_numpy())
    np.testing.assert_array_equal(data.cycle, table.column("cycle_dimensionless").to_numpy())


def test_sensor_log_with_units_row_and_idle_channels_is_not_cycling():
    """BatteryABN's Neware 'VDF' sensor log: a units row ('none second amp volt epoch') under
    the header gives the time in s; its current and potential channels read 0 in every row,
    and the summary says no current flows instead of reporting a cycle."""
    from ssblab.echem.celltests.cycling import summarise

    path = CORPUS / "batteryabn" / "GMJuly2022_CELL002_Test3_1_P0C_5P0PSI_20221021_R0_CH041.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("[DATA START]")
    rows = [line.split("\t") for line in lines[start + 3:] if line.strip()]
    data = _read(path)
    assert lines[start + 2].split("\t")[:4] == ["none", "second", "amp", "volt"]
    assert data.n_rows == len(rows)
    np.testing.assert_allclose(data.time_s, [float(r[1]) for r in rows])
    summary = summarise(data)
    assert not summary.ok and "no current flows" in summary.reason


def test_galv_columns_named_by_their_units_and_a_comment_preamble():
    """galv-harvester's rows of an Ivium record ('test_time,amps,volts'; the same rows under two
    '#' comment lines in preamble.csv): 'amps' is a current in A; both files give the same 39
    rows, the values of the text."""
    galv = CORPUS / "galv"
    rows = [line.split(",") for line in (galv / "headered.csv").read_text().splitlines()[1:]
            if line.strip()]
    plain, commented = _read(galv / "headered.csv"), _read(galv / "preamble.csv")
    for data in (plain, commented):
        assert data.n_rows == len(rows) == 39
        np.testing.assert_allclose(data.time_s, [float(r[0]) for r in rows])
        np.testing.assert_allclose(data.current_mA, [1e3 * float(r[1]) for r in rows])
        np.testing.assert_allclose(data.voltage_V, [float(r[2]) for r in rows])


def test_maccor_excel_style_clock_and_discharge_positive_sign(tmp_path):
    """ionworksdata's fixture of a Maccor CSV export (values written by hand there; the layout
    is the point): 'Test Time' as ':D:HH:MM:SS', an 'MD' column, and currents signed
    discharge-positive (D rows +3.6 A, C rows -3.6 A). Read in s, charge-positive with a
    warning; the same file with unsigned currents gives the same signs and no warning."""
    path = CORPUS / "ionworksdata" / "maccor_csv.txt"
    lines = path.read_text().splitlines()
    names = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    at = {n: names.index(n) for n in ("Test Time", "Current (A)", "MD")}

    def seconds(text):
        days, hours, minutes, secs = (int(v) for v in text.lstrip(":").split(":"))
        return ((days * 24 + hours) * 60 + minutes) * 60 + secs

    sign = {"D": -1.0, "C": 1.0, "R": 0.0}
    expected = [sign[r[at["MD"]]] * 1e3 * abs(float(r[at["Current (A)"]])) for r in rows]
    data, said = _read_named(path)
    np.testing.assert_array_equal(data.time_s, [seconds(r[at["Test Time"]]) for r in rows])
    np.testing.assert_allclose(data.current_mA, expected)
    assert "discharge-positive" in said
    unsigned = tmp_path / "maccor_unsigned.csv"
    unsigned.write_text(path.read_text().replace(",-3.6,", ",3.6,"))
    data, said = _read_named(unsigned)
    np.testing.assert_allclose(data.current_mA, expected)
    assert "discharge-positive" not in said and "no unit" not in said
