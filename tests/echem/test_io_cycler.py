"""Cycler readers on the real files in tests/data/cycling and tests/data/bad."""

import contextlib
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from ssblab.echem.io import DataWarning, read_cycler
from ssblab.echem.io.cycler import cycles_from_current, detect_cycler_format
from ssblab.echem.io.delimited import read_columns, sniff
from ssblab.errors import InputError, ResourceError

BAD_MAP = {"time_s": "test_time", "voltage_V": "voltage", "current_mA": "current", "step": "step",
           "cycle": "cycle"}


def _step_charge_check(data, *, min_rows=50, rtol=0.02, counted_only=False):
    """Coulomb counting: |integral of I dt| over each long constant-step run equals the change of
    the instrument's own capacity column over it (checks time unit, current unit and scale)."""
    key = data.step * 100000 + data.cycle
    cuts = np.flatnonzero(np.diff(key)) + 1
    checked = 0
    for rows in np.split(np.arange(data.n_rows), cuts):
        if rows.size < min_rows or np.abs(data.current_mA[rows]).max() == 0:
            continue
        t, i = data.time_s[rows], data.current_mA[rows]
        counted = abs(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t))) / 3600
        capacity = data.extra["capacity_mAh"][rows]
        reported = abs(capacity[-1] - capacity[0])
        if counted_only and reported == 0:
            continue
        # the first sample of a step is taken after a partial interval: allow one interval
        slack = np.abs(i).max() * np.diff(t).max() / 3600
        assert abs(counted - reported) <= rtol * reported + slack, (counted, reported)
        checked += 1
    assert checked >= 2


def test_biologic_mpr_equals_its_mpt_export(real_data):
    d = real_data / "cycling"
    binary = read_cycler(d / "ssb_ncm-lpscl-inli_chronopotentiometry.mpr")
    text = read_cycler(d / "ssb_ncm-lpscl-inli_chronopotentiometry.mpt")
    assert binary.n_rows == text.n_rows == 30208
    np.testing.assert_allclose(binary.time_s, text.time_s, rtol=1e-12)
    np.testing.assert_allclose(binary.voltage_V, text.voltage_V, rtol=2e-7)
    np.testing.assert_allclose(binary.current_mA, text.current_mA, rtol=2e-7, atol=1e-12)
    np.testing.assert_array_equal(binary.step, text.step)
    # The .mpr keeps EC-Lab's half-cycle counter (cycle = half cycle // 2, as EC-Lab exports
    # it); this .mpt was exported without it, so it falls back to charge-first and says so.
    assert binary.cycle_definition == "file" and binary.cycle.min() == 0
    assert text.cycle_definition == "charge-first" and "no cycle index" in \
        text.metadata["cycle_note"]


def test_biologic_modulo_bat_mpr(real_data):
    data = read_cycler(real_data / "cycling" / "biologic_gcpl.mpr")
    assert data.n_rows == 23561
    assert (np.diff(data.time_s) >= 0).all()
    assert data.current_mA.max() > 0.3 and data.current_mA.min() < -0.1
    # The impedance steps of this Modulo Bat file carry an averaged AC current that EC-Lab does
    # not count as charge: only the counted steps are compared.
    _step_charge_check(data, rtol=0.01, counted_only=True)
    # four charges with impedance steps and rests between them, no discharge: one cycle,
    # numbered 0 as EC-Lab numbers it (half cycle // 2)
    assert data.current_mA.min() > -0.2 and np.unique(data.cycle).tolist() == [0]


def test_neware_csv_export(real_data):
    data = read_cycler(real_data / "cycling" / "neware_export.csv")
    assert data.n_rows == 9065 and data.cycle_definition == "file"
    assert np.unique(data.cycle).tolist() == [1, 2, 3, 4]
    assert (np.diff(data.time_s) >= 0).all()
    _step_charge_check(data)


def test_maccor_export_time_unit_and_sign(real_data):
    data = read_cycler(real_data / "cycling" / "maccor.txt")
    assert data.metadata["time_unit"] == "min"  # 63.5 h of wall clock over 3809.8 TestTime
    assert data.time_s[-1] == pytest.approx(3809.841833 * 60)
    assert data.current_mA.min() < 0 < data.current_mA.max()  # D rows negated
    _step_charge_check(data)


@pytest.mark.slow
def test_arbin_res(real_data):
    pytest.importorskip("access_parser")
    data = read_cycler(real_data / "cycling" / "arbin_18cycles.res")
    assert np.unique(data.cycle).tolist() == list(range(1, 19))
    assert (np.diff(data.time_s) >= 0).all()
    _step_charge_check(data)


def test_neware_ndax(real_data):
    data = read_cycler(real_data / "cycling" / "neware.ndax")
    assert data.metadata["decoder"] == "ssblab" and data.metadata["ndc_version"] == 17
    assert data.n_rows == 252951
    assert (np.diff(data.time_s) >= 0).all()
    _step_charge_check(data)


@pytest.mark.slow
def test_neware_ndax_decoder_agrees_with_newarenda(real_data):
    """The native page decoder against the NewareNDA package on the same file."""
    pytest.importorskip("NewareNDA")
    from ssblab.echem.io.neware import _decode_with_newarenda, read_ndax

    path = real_data / "cycling" / "neware.ndax"
    ours = read_ndax(path).columns
    theirs = _decode_with_newarenda(path, str(path))
    for name in ("time_s", "voltage_V", "step", "cycle"):
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)
    # NewareNDA scales the current and capacity in float32
    np.testing.assert_allclose(ours["current_mA"], theirs["current_mA"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours["capacity_mAh"], theirs["capacity_mAh"], rtol=1e-6,
                               atol=1e-4)


def test_optional_readers_say_what_to_install(real_data, monkeypatch, tmp_path):
    import zipfile

    monkeypatch.setitem(sys.modules, "access_parser", None)
    monkeypatch.setitem(sys.modules, "NewareNDA", None)
    monkeypatch.setattr("ssblab.echem.io.cycler_formats.shutil.which", lambda name: None)
    with pytest.raises(ResourceError, match=r"without mdbtools.*pip install 'ssblab\[echem\]'"):
        read_cycler(real_data / "cycling" / "arbin_18cycles.res")
    with pytest.raises(ResourceError, match=r"\.nda.*pip install 'ssblab\[echem\]'"):
        read_cycler(real_data / "cycling_corpus" / "newarenda" / "new_nda_file.nda")
    # an older .ndc version (here 5) is left to NewareNDA
    with zipfile.ZipFile(tmp_path / "old.ndax", "w") as archive:
        archive.writestr("data.ndc", bytes([1, 0, 5, 0]) + bytes(4092))
    with pytest.raises(ResourceError, match="Neware .ndax files of this .ndc version"):
        read_cycler(tmp_path / "old.ndax")


def test_format_detection(real_data):
    d = real_data / "cycling"
    assert [detect_cycler_format(d / n) for n in
            ("biologic_gcpl.mpr", "ssb_ncm-lpscl-inli_chronopotentiometry.mpt", "neware.ndax",
             "neware_export.csv", "arbin_18cycles.res", "maccor.txt")] == \
        ["biologic-mpr", "biologic-mpt", "neware-ndax", "neware-csv", "arbin-res", "maccor"]


def test_generic_csv_good_twin(real_data):
    data = read_cycler(real_data / "bad" / "custom_good_small.csv", column_map=BAD_MAP)
    assert data.n_rows == 60 and data.time_s[0] == 120.0 and data.voltage_V[-1] == 1.54


def test_missing_column_is_an_error(real_data):
    with pytest.raises(InputError, match=r"custom_missing_column\.csv: --map voltage_V=voltage: "
                                         r"no such column"):
        read_cycler(real_data / "bad" / "custom_missing_column.csv", column_map=BAD_MAP)


def test_missing_cycle_is_kept_and_named(real_data):
    with pytest.warns(DataWarning, match=r"missing_cycle\.csv: the cycle index jumps \(1 -> 3 at "
                                         r"data row 20\)"):
        data = read_cycler(real_data / "bad" / "custom_missing_cycle.csv", column_map=BAD_MAP)
    assert np.unique(data.cycle).tolist() == [1, 3]


def test_nan_and_inf_rows_are_dropped_and_named(real_data):
    with pytest.warns(DataWarning, match=r"nan_inf\.csv: dropped 3 row\(s\) with NaN, infinite or "
                                         r"implausible values .*data rows \[3, 7, 11\]"):
        data = read_cycler(real_data / "bad" / "custom_nan_inf.csv", column_map=BAD_MAP)
    good = read_cycler(real_data / "bad" / "custom_good_small.csv", column_map=BAD_MAP)
    keep = np.setdiff1d(np.arange(good.n_rows), [3, 7, 11])
    np.testing.assert_array_equal(data.voltage_V, good.voltage_V[keep])


def test_truncated_last_line_is_dropped_and_named(real_data):
    with pytest.warns(DataWarning, match=r"truncated\.csv: dropped the last line 80"):
        data = read_cycler(real_data / "bad" / "custom_truncated.csv", column_map=BAD_MAP)
    assert data.n_rows == 59


def test_units_from_column_names_and_map(tmp_path):
    (tmp_path / "a.csv").write_text("t/h,U (V),Current [A]\n0,3.0,0.001\n1,3.1,0.001\n"
                                    "2,3.2,-0.002\n")
    data = read_cycler(tmp_path / "a.csv")
    np.testing.assert_allclose(data.time_s, [0, 3600, 7200])
    np.testing.assert_allclose(data.current_mA, [1, 1, -2])
    (tmp_path / "b.csv").write_text("a,b,c\n0,3000,5\n1,3100,5\n2,3200,-5\n")
    with pytest.raises(InputError, match=r"b\.csv: no time / voltage / current column found.*"
                                         r"--map time_s=Test_Time --map voltage_V=Voltage"):
        read_cycler(tmp_path / "b.csv")
    data = read_cycler(tmp_path / "b.csv", column_map={"time_min": "a", "voltage_mV": 1,
                                                        "current_uA": "c"})
    np.testing.assert_allclose(data.voltage_V, [3.0, 3.1, 3.2])
    np.testing.assert_allclose(data.time_s, [0, 60, 120])
    np.testing.assert_allclose(data.current_mA, [0.005, 0.005, -0.005])
    with pytest.raises(InputError, match="--map key: unknown value 'current'"):
        read_cycler(tmp_path / "b.csv", column_map={"current": "c"})


def test_cycle_definitions():
    current = np.array([0, 1, 1, 0, -1, -1, 0, 1, 1, -1, -1, 0.0])
    assert cycles_from_current(current, first="charge").tolist() == \
        [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    assert cycles_from_current(current, first="discharge").tolist() == \
        [1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3]
    assert cycles_from_current(np.zeros(4), first="charge").tolist() == [1, 1, 1, 1]
    # per step: the alternating current of an impedance step (step 2) is not a half cycle
    current = np.array([0.0, 0.3, -0.2, 0.25, -0.3, 1, 1, 0, -1, -1, 0.01, -0.01, 1])
    step = np.array([1, 2, 2, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7])
    assert cycles_from_current(current, first="charge", step=step).tolist() == \
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]


def test_cycle_definition_option(tmp_path):
    rows = "\n".join(f"{t},{3 + 0.1 * np.sign(i)},{i},1" for t, i in
                     enumerate([-1, -1, 1, 1, -1, -1, 1, 1]))
    (tmp_path / "c.csv").write_text("time/s,Ewe/V,I/mA,cycle\n" + rows)
    assert read_cycler(tmp_path / "c.csv").cycle.tolist() == [1] * 8
    assert read_cycler(tmp_path / "c.csv", cycle_definition="charge-first").cycle.tolist() == \
        [1, 1, 2, 2, 2, 2, 3, 3]
    data = read_cycler(tmp_path / "c.csv", cycle_definition="discharge-first")
    assert data.cycle.tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert data.cycle_definition == "discharge-first"
    with pytest.raises(InputError, match="did you mean 'charge-first'"):
        read_cycler(tmp_path / "c.csv", cycle_definition="charge_first")


def test_broken_binary_files(tmp_path, real_data):
    data = (real_data / "cycling" / "biologic_gcpl.mpr").read_bytes()
    (tmp_path / "cut.mpr").write_bytes(data[:len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.mpr: truncated: module 'VMP data'"):
        read_cycler(tmp_path / "cut.mpr")
    (tmp_path / "x.ndax").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match=r"x\.ndax: not a readable Neware .ndax file"):
        read_cycler(tmp_path / "x.ndax")
    ndax = (real_data / "cycling" / "neware.ndax").read_bytes()
    (tmp_path / "cut.ndax").write_bytes(ndax[:len(ndax) // 2])
    with pytest.raises(InputError, match=r"cut\.ndax: not a readable Neware .ndax file"):
        read_cycler(tmp_path / "cut.ndax")


def test_cli_read_cycler(real_data, tmp_path):
    from click.testing import CliRunner

    from ssblab.cli import main

    runner = CliRunner()
    args = ["read", "cycler", str(real_data / "bad" / "custom_nan_inf.csv"),
            "--map", "time_s=test_time", "--map", "voltage_V=voltage",
            "--map", "current_mA=current",
            "--out", str(tmp_path / "out")]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "rows              57" in result.stdout
    assert "warning: " in result.stderr and "data rows [3, 7, 11]" in result.stderr
    table = np.genfromtxt(tmp_path / "out" / "data.csv", delimiter=",", names=True)
    assert table.size == 57 and table.dtype.names[:5] == CyclerDataColumns
    assert (tmp_path / "out" / "result.json").is_file()
    bad = runner.invoke(main, ["read", "cycler", str(real_data / "bad" /
                                                     "custom_missing_column.csv"),
                               "--map", "voltage_V=voltage"])
    assert bad.exit_code == 2 and "--map voltage_V=voltage: no such column" in bad.stderr


CyclerDataColumns = ("time_s", "voltage_V", "current_mA", "step", "cycle")


def test_empty_cycle_field_and_time_going_back(tmp_path):
    (tmp_path / "d.csv").write_text("time/s,Ewe/V,I/mA,cycle\n0,3.0,1,1\n1,3.1,1,\n2,3.2,1,1\n"
                                    "1.5,3.3,-1,1\n")
    with pytest.warns(DataWarning) as caught:
        data = read_cycler(tmp_path / "d.csv")
    messages = [str(w.message) for w in caught]
    assert any("dropped 1 row(s)" in m and "data rows [1]" in m for m in messages)
    assert any("time goes back at 1 place(s), first at data row 2 (2 s -> 1.5 s)" in m
               for m in messages)
    assert data.time_s.tolist() == [0, 2, 1.5]  # kept as in the file


# -- issue 14/17: text layouts, strictness and plausibility -------------------------------------


def test_text_columns_units_row_decimal_comma_and_bom(tmp_path):
    # a date stamp and a step type between the numbers, a units row under the header, decimal
    # commas with semicolons, and Excel's UTF-8 byte-order mark
    path = tmp_path / "lab.csv"
    path.write_bytes("\ufeffDate;Step Type;Time;Voltage;Current\n;;h;mV;uA\n"
                     "2024-01-01 10:00:00;CC_Chg;0,0;3000,0;500\n"
                     "2024-01-01 10:30:00;CC_Chg;0,5;3100,0;500\n"
                     "2024-01-01 11:00:00;CC_DChg;1,0;3050,0;-500\n".encode("utf-8"))
    data = read_cycler(path)
    np.testing.assert_allclose(data.time_s, [0, 1800, 3600])
    np.testing.assert_allclose(data.voltage_V, [3.0, 3.1, 3.05])
    np.testing.assert_allclose(data.current_mA, [0.5, 0.5, -0.5])


def test_bare_time_and_voltage_names_and_the_current_unit(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("time,voltage,current\n0,3.0,1\n10,3.1,1\n20,3.0,-1\n")
    with pytest.raises(InputError, match=r"current column 'current' has no unit; give it with "
                                         r"--map current_A=current or --map current_mA=current"):
        read_cycler(path)
    data = read_cycler(path, column_map={"current_mA": "current"})
    np.testing.assert_allclose(data.time_s, [0, 10, 20])
    assert data.metadata["units_assumed"] == "'time' in s, 'voltage' in V"


def test_row_with_too_many_fields_is_an_error(tmp_path):
    # two rows joined by a lost line break: never silently one row
    path = tmp_path / "joined.csv"
    path.write_text("time/s,Ewe/V,I/mA\n0,3.0,1\n1,3.1,12,3.2,1\n3,3.0,-1\n4,3.1,-1\n")
    with pytest.raises(InputError, match=r"1 row\(s\) do not have the header's 3 fields.*"
                                         r"'1,3.1,12,3.2,1'"):
        read_cycler(path)


def test_undecodable_bad_row_is_an_error_without_a_printout(tmp_path, capfd):
    # a row with a wrong field count and bytes that are not UTF-8, past the part of the file
    # the encoding is guessed from: pyarrow cannot hand it over, prints a traceback as
    # "Exception ignored" and fails; the user gets our message and nothing else
    lines = [b"time/s,Ewe/V,I/mA"] + [b"%d,%.6f,0.1" % (i, 3 + 1e-6 * i) for i in range(60000)]
    lines[50000] = b"49999,3.0\xff,0.1,9"
    path = tmp_path / "bad_bytes.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for threads in (1, 2):
        with pytest.raises(InputError, match="bad_bytes.csv: malformed data"):
            read_columns(sniff(path), ["time/s", "Ewe/V", "I/mA"], threads=threads)
    assert "Traceback" not in capfd.readouterr().err


def test_last_number_cut_short_is_dropped_and_named(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text("time/s,Ewe/V,I/mA\n0,3.000,1.000\n1,3.100,1.000\n2,3.200,1.0")
    with pytest.warns(DataWarning, match=r"dropped the last line 4: .* cut inside a number"):
        data = read_cycler(path)
    assert data.n_rows == 2


@pytest.mark.parametrize("row, what", [("2,3.2,1e37,1", "current_mA"),
                                       ("2,3.2,1,1.5", "cycle"), ("2,3.2,1,1e30", "cycle")])
def test_implausible_values_are_dropped_and_named(tmp_path, row, what):
    path = tmp_path / "odd.csv"
    path.write_text("time/s,Ewe/V,I/mA,cycle\n0,3.0,1,1\n1,3.1,1,1\n" + row + "\n3,3.0,-1,1\n")
    with pytest.warns(DataWarning, match=rf"dropped 1 row\(s\) .*in {what} \(1\): data rows \[2\]"):
        data = read_cycler(path)
    assert data.n_rows == 3 and data.cycle.tolist() == [1, 1, 1]


def test_maccor_layouts(tmp_path):
    head = "Today's Date 03/07/2018  Date of Test:\t11/02/2016\t Filename:\tx.041\n"
    # 'Test (Sec)', European date stamps in DPt Time
    (tmp_path / "a.txt").write_text(
        head + "Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\tState\tDPt Time\t\n"
        "1\t0\t1\t0.0\t0.5\t3.9\tC\t21.10.2019 10:59:59\t\n"
        "2\t0\t1\t10.0\t0.5\t3.95\tC\t21.10.2019 11:00:09\t\n"
        "3\t0\t2\t20.0\t0.5\t3.9\tD\t21.10.2019 11:00:19\t\n")
    data = read_cycler(tmp_path / "a.txt")
    np.testing.assert_allclose(data.time_s, [0, 10, 20])
    np.testing.assert_allclose(data.current_mA, [500, 500, -500])
    # day-hh:mm:ss test time
    (tmp_path / "b.txt").write_text(
        head + "Rec#\tCyc#\tStep\tTestTime\tAmps\tVolts\tState\tDPt Time\n"
        "1\t0\t1\t  0d 00:00:00.0000\t0.5\t3.9\tC\t11/02/2016 15:57:53\n"
        "2\t0\t1\t  0d 00:01:00.0000\t0.5\t3.9\tC\t11/02/2016 15:58:53\n"
        "3\t1\t1\t  1d 00:00:00.5000\t0.5\t3.9\tD\t11/03/2016 15:57:53\n")
    data = read_cycler(tmp_path / "b.txt")
    np.testing.assert_allclose(data.time_s, [0, 60, 86400.5])
    # a bare TestTime whose unit the wall clock cannot tell: seconds, loudly
    (tmp_path / "c.txt").write_text(
        head + "Rec#\tCyc#\tStep\tTestTime\tAmps\tVolts\tState\tDPt Time\n"
        "1\t0\t1\t0\t0.5\t3.9\tC\tnot a date\n2\t0\t1\t1\t0.5\t3.9\tC\tnot a date\n"
        "3\t0\t1\t2\t0.5\t3.9\tC\tnot a date\n")
    with pytest.warns(DataWarning, match=r"--map time_min=TestTime"):
        read_cycler(tmp_path / "c.txt")
    data = read_cycler(tmp_path / "c.txt", column_map={"time_min": "TestTime"})
    np.testing.assert_allclose(data.time_s, [0, 60, 120])


def test_map_applies_before_any_probing(tmp_path):
    # a file whose own names say nothing: the map alone makes it readable
    path = tmp_path / "x.csv"
    path.write_text("A;B;C;D\n0;1,5;3,0;x\n1;1,5;3,1;y\n2;-1,5;3,2;z\n")
    data = read_cycler(path, column_map={"time_h": "A", "current_A": "B", "voltage_V": "C"})
    np.testing.assert_allclose(data.current_mA, [1500, 1500, -1500])
    np.testing.assert_allclose(data.time_s, [0, 3600, 7200])


def test_special_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="found a directory"):
        read_cycler(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        read_cycler(fifo)
    with pytest.raises(InputError, match="character device"):
        read_cycler("/dev/urandom")


@pytest.mark.slow
def test_arbin_res_mdbtools_and_access_parser_agree(real_data, monkeypatch):
    import shutil

    if shutil.which("mdb-export") is None:
        pytest.skip("mdbtools not installed")
    path = real_data / "cycling" / "arbin_18cycles.res"
    fast = read_cycler(path)
    monkeypatch.setattr("ssblab.echem.io.cycler_formats.shutil.which", lambda name: None)
    slow = read_cycler(path)
    assert fast.metadata["decoder"] == "mdbtools" and slow.metadata["decoder"] == "access-parser"
    # mdb-export prints single-precision columns with 8 significant digits: the same float32
    for name in ("time_s", "voltage_V", "current_mA", "step", "cycle"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-7)
    np.testing.assert_allclose(fast.extra["capacity_mAh"], slow.extra["capacity_mAh"],
                               rtol=1e-7, atol=1e-9)


# -- the threaded text path, bare names without units, BEEP structured files (issue 14) -----


def _lab_csv(path, n_rows=3000, *, bad_row=None, cut=False):
    """A cycler CSV with a date stamp, a step label, empty fields and decimal points."""
    lines = ["Date,Step Type,Test Time (s),Voltage (V),Current (A),Step,Cycle"]
    for i in range(n_rows):
        half = i // 100
        current = "" if i % 97 == 5 else f"{(1.5 if half % 2 == 0 else -1.5):.4f}"
        lines.append(f"2024-01-01 00:{i // 60 % 60:02d}:{i % 60:02d},"
                     f"{'CC_Chg' if half % 2 == 0 else 'CC_DChg'},{i:.1f},"
                     f"{3.7 + 0.001 * (i % 100):.5f},{current},{half + 1},{half // 2 + 1}")
    if bad_row is not None:
        lines[bad_row] += ",extra"
    text = "\n".join(lines) + ("\n" if not cut else "")
    if cut:
        text = text[:text.rfind(",")]  # the last line loses its last field
    path.write_text(text)
    return path


@pytest.mark.parametrize("threads, range_bytes", [(2, 16 << 10), (3, 4096), (7, 999)])
def test_pipelined_read_equals_the_streamed_one(tmp_path, threads, range_bytes, monkeypatch):
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "RANGE_BYTES", range_bytes)  # many ranges
    path = _lab_csv(tmp_path / "lab.csv")
    layout = delimited.sniff(path)
    names = ["Date", "Step Type", "Test Time (s)", "Current (A)", "Cycle"]
    streamed, n_streamed = delimited.read_columns(layout, names, threads=1)
    monkeypatch.setattr(delimited, "_read_batches", None)  # no silent fallback to one thread
    split, n_split = delimited.read_columns(layout, names, threads=threads)
    assert n_split == n_streamed == 3000
    for name in ("Test Time (s)", "Current (A)", "Cycle"):
        np.testing.assert_array_equal(split[name], streamed[name])
    # independent truth: the values written, NaN for the empty current fields
    np.testing.assert_array_equal(split["Test Time (s)"], np.arange(3000.0))
    assert np.isnan(split["Current (A)"]).sum() == len(range(5, 3000, 97))
    assert split["Cycle"].dtype == np.int64
    np.testing.assert_array_equal(split["Cycle"], (np.arange(3000) // 100) // 2 + 1)
    labels = delimited.text_classes(split["Step Type"], {"d": "DChg"})["d"]
    np.testing.assert_array_equal(labels, (np.arange(3000) // 100) % 2 == 1)
    # the range buffers are reused: text columns must not point into them
    dates = [f"2024-01-01 00:{i // 60 % 60:02d}:{i % 60:02d}" for i in range(3000)]
    assert split["Date"].to_pylist() == dates


def test_pipelined_read_of_a_line_longer_than_a_range(tmp_path, monkeypatch):
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "RANGE_BYTES", 40)  # shorter than a line: read serially
    path = _lab_csv(tmp_path / "lab.csv", n_rows=50)
    layout = delimited.sniff(path)
    columns, n_rows = delimited.read_columns(layout, ["Test Time (s)"], threads=2)
    assert n_rows == 50
    np.testing.assert_array_equal(columns["Test Time (s)"], np.arange(50.0))


def test_whole_number_column_with_a_fraction_further_down(tmp_path, monkeypatch):
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "RANGE_BYTES", 16 << 10)
    path = _lab_csv(tmp_path / "lab.csv")
    text = path.read_text().replace(",30,15\n", ",30.5,15\n", 1)  # row 2900: step 30.5
    path.write_text(text)
    layout = delimited.sniff(path)
    assert "Step" in layout.integer  # the first 200 rows are whole numbers
    for threads in (1, 3):
        columns, _ = delimited.read_columns(layout, ["Step"], threads=threads)
        assert columns["Step"].dtype == np.float64 and columns["Step"][2900] == 30.5


@pytest.mark.parametrize("threads", [1, 2])
def test_whole_number_column_with_a_gap_further_down(tmp_path, threads, monkeypatch):
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "RANGE_BYTES", 16 << 10)
    path = _lab_csv(tmp_path / "lab.csv")
    path.write_text(path.read_text().replace(",30,15\n", ",,15\n", 1))  # row 2900: no step
    layout = delimited.sniff(path)
    columns, _ = delimited.read_columns(layout, ["Step", "Cycle"], threads=threads)
    step = columns["Step"]
    assert step.dtype == np.float64 and step.flags.writeable and np.isnan(step[2900])
    assert np.isnan(step).sum() == 1 and step[2899] == 29 and step[2901] == 30
    np.testing.assert_array_equal(step[:2900], np.arange(2900) // 100 + 1)
    assert columns["Cycle"].dtype == np.int64 and columns["Cycle"].flags.writeable


@pytest.mark.parametrize("threads", [2, 3])
def test_pipelined_read_names_the_line_of_a_bad_row(tmp_path, threads, monkeypatch):
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "RANGE_BYTES", 16 << 10)
    path = _lab_csv(tmp_path / "joined.csv", bad_row=2500)
    layout = delimited.sniff(path)
    with pytest.raises(InputError, match=r"1 row\(s\) do not have the header's 7 fields "
                                         r"\(line 2501: 8 fields"):
        delimited.read_columns(layout, ["Test Time (s)"], threads=threads)


@pytest.mark.parametrize("threads", [2, 3])
def test_pipelined_read_drops_a_cut_last_line_with_a_warning(tmp_path, threads, monkeypatch):
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "RANGE_BYTES", 16 << 10)
    path = _lab_csv(tmp_path / "cut.csv", cut=True)
    layout = delimited.sniff(path)
    with pytest.warns(DataWarning, match=r"cut\.csv: dropped the last line 3001 \(6 of 7"):
        columns, n_rows = delimited.read_columns(layout, ["Test Time (s)"], threads=threads)
    assert n_rows == 2999 and columns["Test Time (s)"][-1] == 2998


def test_bare_step_cycle_and_capacity_names(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("time,voltage,current,capacity,step,cycle\n0,3.0,1,0.0,1,1\n"
                    "10,3.1,1,0.5,1,1\n20,3.0,-1,0.25,2,1\n30,3.0,1,0.1,3,2\n")
    data = read_cycler(path, column_map={"current_mA": "current"})
    assert data.step.tolist() == [1, 1, 2, 3] and data.cycle.tolist() == [1, 1, 1, 2]
    assert data.cycle_definition == "file"
    # mAh or Ah cannot be told: the capacity is left out, and the note gives both entries
    assert "capacity_mAh" not in data.extra
    assert data.metadata["capacity_note"].endswith(
        "--map capacity_mAh=capacity or --map capacity_Ah=capacity")
    given = read_cycler(path, column_map={"current_mA": "current", "capacity_Ah": "capacity"})
    np.testing.assert_allclose(given.extra["capacity_mAh"], [0, 500, 250, 100])
    assert "capacity_note" not in given.metadata


def test_capacity_named_with_its_unit_is_read(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("Time (s),Voltage (V),Current (mA),Capacity (Ah),Cycle\n"
                    "0,3.0,1,0.001,1\n3600,3.1,1,0.002,1\n7200,3.0,-1,0.001,1\n")
    data = read_cycler(path)
    np.testing.assert_allclose(data.extra["capacity_mAh"], [1, 2, 1])
    assert "units_assumed" not in data.metadata and "capacity_note" not in data.metadata
    path.write_text("t/h;U/V;I/uA;Q/mA.h\n0;3,0;100;0,0\n1;3,1;100;0,1\n")
    data = read_cycler(path)
    np.testing.assert_allclose(data.time_s, [0, 3600])
    np.testing.assert_allclose(data.current_mA, [0.1, 0.1])
    np.testing.assert_allclose(data.extra["capacity_mAh"], [0, 0.1])


def test_bare_voltage_in_millivolts_is_refused(tmp_path):
    path = tmp_path / "mv.csv"
    path.write_text("time,voltage,current\n0,3700,1\n10,3710,1\n20,3690,-1\n")
    with pytest.raises(InputError, match=r"voltage column 'voltage' has no unit and reaches "
                                         r"3710.*--map voltage_mV=voltage"):
        read_cycler(path, column_map={"current_mA": "current"})
    data = read_cycler(path, column_map={"current_mA": "current", "voltage_mV": "voltage"})
    np.testing.assert_allclose(data.voltage_V, [3.7, 3.71, 3.69])


def test_cli_states_the_units_it_assumed(tmp_path):
    from click.testing import CliRunner

    from ssblab.cli import main

    path = tmp_path / "bare.csv"
    path.write_text("time,voltage,current,capacity\n0,3.0,1,0\n10,3.1,1,1\n20,3.0,-1,0\n")
    result = CliRunner().invoke(main, ["read", "cycler", str(path), "--map",
                                       "current_mA=current"])
    assert result.exit_code == 0, result.output
    assert "note: " in result.stderr and "'time' in s, 'voltage' in V" in result.stderr
    assert "--map capacity_mAh=capacity" in result.stderr


@pytest.mark.parametrize("n_charge", [50, 9000])  # both labels in the first 256 kB, or only one
def test_discharge_positive_labels_are_found_in_the_head_or_the_whole_column(tmp_path, n_charge):
    rows = ["Step Type,Test Time (s),Voltage (V),Current (A),Step"]
    rows += [f"CC_Chg,{i},{3.5 + i * 1e-5:.6f},-0.001000,1" for i in range(n_charge)]
    rows += [f"CC_DChg,{n_charge + i},{3.9 - i * 1e-5:.6f},0.001000,2" for i in range(400)]
    path = tmp_path / "positive_discharge.csv"
    path.write_text("\n".join(rows) + "\n")
    assert (b"DChg" in path.read_bytes()[:262_144]) == (n_charge == 50)
    with pytest.warns(DataWarning, match="discharge-positive; currents negated"):
        data = read_cycler(path)
    np.testing.assert_allclose(data.current_mA[[0, -1]], [1.0, -1.0])
    assert "negated" in data.metadata["sign_note"]


def test_clock_times_as_text_equal_the_written_seconds():
    """'H:MM:SS' text (hours past 24 and past 9999) read digit by digit, and the forms that
    take the regular expression (fractions, days, a stray word) in a chunk of their own."""
    import pyarrow as pa

    from ssblab.echem.io.cycler import _plain_clock_seconds, _text_time_s

    rng = np.random.default_rng(3)
    seconds = np.sort(rng.integers(0, 40_000_000, 5000)).astype(float)
    plain = [f"{int(s) // 3600}:{int(s) // 60 % 60:02d}:{int(s) % 60:02d}" for s in seconds]
    odd = [" 1:02:03.5", "1d 02:03:04", "2:03", "0:00:07,25", "pause"]
    column = pa.chunked_array([pa.array(plain[:2500]), pa.array(odd),
                               pa.array(plain[2500:])])
    got = _text_time_s(column, "t.csv", "Time")
    np.testing.assert_array_equal(got[:2500], seconds[:2500])
    np.testing.assert_array_equal(got[2505:], seconds[2500:])
    np.testing.assert_array_equal(got[2500:2504], [3723.5, 93784.0, 7380.0, 7.25])
    assert np.isnan(got[2504])
    out = np.zeros(2500)  # the plain chunks took the digit-by-digit path, the odd one not
    assert _plain_clock_seconds(pa.array(plain[:2500]), out) and (out == seconds[:2500]).all()
    assert not _plain_clock_seconds(pa.array(odd), np.zeros(5))
    # the same strings in a NumPy array (readers other than the text path)
    np.testing.assert_array_equal(_text_time_s(np.array(plain), "t.csv", "Time"), seconds)


def test_plain_clock_check_agrees_with_the_regular_expression():
    """The byte-level check of 'H:MM:SS' chunks says yes exactly where RE2 matches
    ^\\d{1,9}:\\d\\d:\\d\\d$ on every field (independent truth: the regular expression),
    over mutated clock strings: a character dropped, doubled, replaced or inserted."""
    import re

    import pyarrow as pa

    from ssblab.echem.io.cycler import _plain_clock_seconds

    rng = np.random.default_rng(11)
    alphabet = list("0123456789:: .,d-é")
    pattern = re.compile(r"^[0-9]{1,9}:[0-9][0-9]:[0-9][0-9]$")
    good = [f"{h}:{m:02d}:{s:02d}" for h, m, s in
            zip(rng.integers(0, 10 ** rng.integers(1, 10, 400)), rng.integers(0, 60, 400),
                rng.integers(0, 60, 400))]
    n_matches = 0
    for trial in range(600):
        chunk = list(rng.choice(good, 5))
        k = int(rng.integers(5))
        text, at = chunk[k], int(rng.integers(len(chunk[k]) + 1))
        edit = trial % 5
        if edit == 1:
            text = text[:at] + text[at + 1:]
        elif edit == 2:
            text = text[:at] + text[at:at + 1] * 2 + text[at + 1:]
        elif edit == 3:
            text = text[:at] + str(rng.choice(alphabet)) + text[at + 1:]
        elif edit == 4:
            text = text[:at] + str(rng.choice(alphabet)) + text[at:]
        chunk[k] = text
        expected = all(pattern.match(t) for t in chunk)
        n_matches += expected
        for strings in (pa.array(chunk), pa.array(chunk, pa.large_string()),
                        pa.array(["x"] + chunk)[1:]):  # offset into the buffers
            out = np.full(5, -1.0)
            assert _plain_clock_seconds(strings, out) == expected, chunk
            if expected:
                seconds = [int(h) * 3600 + int(m) * 60 + int(s)
                           for h, m, s in (t.split(":") for t in chunk)]
                np.testing.assert_array_equal(out, seconds)
            else:
                assert (out == -1).all()  # nothing written
    assert 100 < n_matches < 500  # both answers were exercised


@pytest.mark.parametrize("threads", [1, 3])
def test_clock_column_converted_while_read(tmp_path, threads, monkeypatch):
    """A clock-time column goes chunk by chunk into seconds (never held as text); a date
    column offered the same converter declines it on its first chunk and stays text."""
    import pyarrow as pa

    from ssblab.echem.io import delimited
    from ssblab.echem.io.cycler import _clock_chunk_s

    monkeypatch.setattr(delimited, "RANGE_BYTES", 4096)
    seconds = np.arange(3000) * 97.0  # up to 80 h
    lines = ["Date,Total Time,Voltage(V)"] + [
        f"2024-01-01 00:00:{i % 60:02d},{int(s) // 3600}:{int(s) // 60 % 60:02d}:"
        f"{int(s) % 60:02d},3.{i % 10}" for i, s in enumerate(seconds)]
    path = tmp_path / "clock.csv"
    path.write_text("\n".join(lines) + "\n")
    table = delimited.TextTable(delimited.sniff(path))
    monkeypatch.setattr(delimited, "_threads", lambda n_bytes: threads)
    table.load(["Date", "Total Time", "Voltage(V)"],
               converters={"Total Time": _clock_chunk_s, "Date": _clock_chunk_s})
    assert table.converted == {"Total Time"}
    np.testing.assert_array_equal(table.columns["Total Time"], seconds)
    assert isinstance(table.columns["Date"], pa.ChunkedArray)
    assert table.columns["Date"][59].as_py() == "2024-01-01 00:00:59"


@pytest.mark.parametrize("fails", ["first converter call", "later converter call",
                                   "first copy"])
def test_pipelined_read_passes_on_a_failure_in_a_parsing_thread(tmp_path, fails, monkeypatch):
    """An error raised while a parsing thread converts or copies its range reaches the caller
    (the ranges waiting for the first range's decision fail with it instead of waiting)."""
    from ssblab.echem.io import delimited
    from ssblab.echem.io.cycler import _clock_chunk_s

    monkeypatch.setattr(delimited, "RANGE_BYTES", 4096)
    lines = ["Total Time,Voltage(V)"] + [f"{i // 3600}:{i // 60 % 60:02d}:{i % 60:02d},3.{i % 10}"
                                         for i in range(3000)]
    path = tmp_path / "clock.csv"
    path.write_text("\n".join(lines) + "\n")
    layout = delimited.sniff(path)

    def clock(chunk, *, first):
        if first == (fails == "first converter call"):
            raise RuntimeError("converter broke")
        return _clock_chunk_s(chunk, first=first)

    put_into = delimited._put_into

    def copy(target, gaps, start, chunk):
        if start == 0:
            raise RuntimeError("copy broke")
        put_into(target, gaps, start, chunk)

    if fails == "first copy":
        monkeypatch.setattr(delimited, "_put_into", copy)
    raised = []

    def read():
        try:
            delimited.read_columns(layout, ["Total Time", "Voltage(V)"], threads=3,
                                   converters={"Total Time": clock})
        except RuntimeError as exc:
            raised.append(exc)

    reader = threading.Thread(target=read, daemon=True)  # a hang fails, not stalls, the test
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "the read hangs after a failure in a parsing thread"
    assert len(raised) == 1 and "broke" in str(raised[0])


def test_populated_result_pages_keep_what_was_written():
    """Faulting in a range's pages before the copy leaves the rows already written (by the
    ranges before, on the same pages) as they were, and the new rows take their values."""
    from ssblab.echem.io import delimited

    target = delimited._untouched(100_000, np.float64)
    target[:1000] = np.arange(1000.0)
    delimited._populate(target, 1000, 50_000)  # its first page holds rows 512-999
    target[1000:51_000] = -np.arange(50_000.0)
    np.testing.assert_array_equal(target[:1000], np.arange(1000.0))
    np.testing.assert_array_equal(target[1000:51_000], -np.arange(50_000.0))
    delimited._populate(target, 99_999, 1)  # up to the last row


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists descriptors via /proc")
@pytest.mark.parametrize("in_memory_bytes", [64 << 20, 0])
def test_serial_read_does_not_follow_a_shared_file_offset(tmp_path, in_memory_bytes,
                                                          monkeypatch):
    """pyarrow reads ahead on a thread of its own; a stale stream (a reader dropped after an
    error, its descriptor's number reused) may move the offset of whatever file now holds that
    number. Here every descriptor open on the file is sought back to 0 just before pyarrow
    parses, as such a stream would: the data part is still read whole and in order."""
    from ssblab.echem.io import delimited

    monkeypatch.setattr(delimited, "IN_MEMORY_BYTES", in_memory_bytes)  # 0: streamed by pread
    path = _lab_csv(tmp_path / "lab.csv")
    layout = delimited.sniff(path)
    real_read_batches = delimited._read_batches

    def stray_seek_then_read(*args):
        for fd in Path("/proc/self/fd").iterdir():
            with contextlib.suppress(OSError):
                if Path(os.readlink(fd)) == path.resolve():
                    os.lseek(int(fd.name), 0, os.SEEK_SET)
        return real_read_batches(*args)

    monkeypatch.setattr(delimited, "_read_batches", stray_seek_then_read)
    columns, n_rows = delimited.read_columns(layout, ["Test Time (s)", "Cycle"], threads=1)
    assert n_rows == 3000
    np.testing.assert_array_equal(columns["Test Time (s)"], np.arange(3000.0))
    np.testing.assert_array_equal(columns["Cycle"], (np.arange(3000) // 100) // 2 + 1)
