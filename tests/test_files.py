"""ssblab.files: input checks, output folders checked before work and written as one transaction."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssblab.cli import main
from ssblab.errors import InputError
from ssblab.files import atomic_folder, check_input_file, check_output_folder
from ssblab.results import Result

DATA = Path(__file__).resolve().parent / "data"
EIS = str(DATA / "eis" / "lpscl_blocking_-25C.mpr")


def test_check_input_file_kinds(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "ok.csv").write_text("1,2\n")
    assert check_input_file(tmp_path / "ok.csv") == tmp_path / "ok.csv"
    for path, words in [(tmp_path / "empty.csv", "empty"), (tmp_path, "directory"),
                        (tmp_path / "missing.csv", "cannot open: file not found"),
                        ("/dev/null", "character device"), ("bad\0name", "cannot open")]:
        with pytest.raises(InputError, match=words):
            check_input_file(path)
    with pytest.raises(InputError, match="above the 1 bytes limit"):
        check_input_file(tmp_path / "ok.csv", max_bytes=1)


def test_check_output_folder(tmp_path):
    (tmp_path / "afile").write_text("x")
    assert check_output_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # nothing created by the check
    for path, words in [("", "empty string"), ("  ", "empty string"),
                        (tmp_path / "afile", "is not a folder"),
                        (tmp_path / "afile" / "sub", "is a file, not a folder"),
                        (tmp_path / ("x" * 300), "longer than|name too long"),
                        (str(tmp_path / "a\0b"), "invalid path")]:
        with pytest.raises(InputError, match=words):
            check_output_folder(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write into"):
            check_output_folder(locked / "out")
    finally:
        locked.chmod(0o700)


def test_atomic_folder_commits_whole_or_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_folder(out) as stage:
            (stage / "result.json").write_text("{}")
            raise RuntimeError("analysis failed half-way")
    assert list(tmp_path.iterdir()) == []  # no folder, no staging left behind
    with atomic_folder(out) as stage:
        (stage / "result.json").write_text("1")
        assert not out.exists()  # nothing visible before the end
    assert (out / "result.json").read_text() == "1"
    (out / "mine.txt").write_text("the user's own file")
    with pytest.raises(SystemExit):  # the CLI's "written, but the analysis failed"
        with atomic_folder(out) as stage:
            (stage / "result.json").write_text("2")
            raise SystemExit(3)
    assert (out / "result.json").read_text() == "2" and (out / "mine.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_out_is_checked_before_any_work(tmp_path):
    (tmp_path / "afile").write_text("x")
    for value in ["", str(tmp_path / "afile"), str(tmp_path / "afile" / "sub")]:
        result = CliRunner().invoke(main, ["eis", "fit", EIS, "--no-kk", "--out", value])
        assert result.exit_code == 2 and "--out" in result.output, result.output
        assert "chi2" not in result.output  # no fit ran
    result = CliRunner().invoke(main, ["read", "spectrum", EIS, "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'r' / 'report.html'}" in result.output  # the final path
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "report.html", "result.json", "spectrum_0.csv", "table.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "r"]


def test_killed_command_leaves_no_partial_output(tmp_path):
    """SIGTERM during a command with --out: the folder is complete or absent, no .tmp left."""
    script = ("from ssblab.cli import main; main(['micro', 'generate', '--shape', '96,96,96', "
              f"'--output', {str(tmp_path / 'v.npy')!r}, '--out', {str(tmp_path / 'out')!r}])")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    out = tmp_path / "out"
    assert not out.exists() or (out / "report.html").is_file()


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Numbered(Result):
    index: int = 0

    def summary(self):
        return [("index", self.index)]


def test_large_batches_give_small_reports(tmp_path):
    """2000 results: the report shows the first 20 with a visible note; table.csv holds all."""
    from ssblab.cli._common import emit

    results = [_Numbered(index=k, ok=False, reason=f"case {k}") for k in range(2000)]
    with pytest.raises(SystemExit):  # failed results: exit 3 after writing
        emit(results, out=tmp_path / "out", as_json=True, title="many")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "First 20 of 2000 sections shown" in html and "1980 of them failed" in html
    assert "2000 results: 0 ok, 2000 failed. Most common reasons: case 0 (1x)" in html
    assert html.count("FAILED: case") == 20 and len(html) < 200_000
    rows = (tmp_path / "out" / "table.csv").read_text().strip().splitlines()
    assert len(rows) == 2001


def test_utf8_bom_does_not_hide_the_first_column(tmp_path):
    """Excel's "CSV UTF-8" starts with a BOM; the first column must still be found."""
    from ssblab.echem.io import read_cycler

    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbftime/s,Ewe/V,I/mA\n0,3.0,1\n60,3.1,1\n120,3.0,-1\n")
    assert read_cycler(path).time_s.tolist() == [0.0, 60.0, 120.0]


@dataclasses.dataclass(frozen=True, kw_only=True)
class _LongTable(Result):
    n: int = 0

    def table(self):
        return [{"spectrum": k, "R / ohm": 1.0 * k} for k in range(self.n)]


def test_long_tables_say_how_many_rows_are_shown(tmp_path):
    from ssblab.report import Report

    report = Report("batch")
    report.add(_LongTable(n=2000), table=True, figures=[])
    report.add(_LongTable(n=5), table=True, figures=[])
    html = report.to_html()
    assert html.count("First 200 of 2000 rows shown; the full table is in table.csv.") == 1
    assert html.count("<tr><td>") == 205
