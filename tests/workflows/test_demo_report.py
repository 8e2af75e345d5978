"""The demo report: contents, foldable chapters, honest figures, measured vs model tables."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from ssblab.report import Report
from ssblab.results import Result


def test_report_has_contents_and_foldable_chapters(tmp_path):
    report = Report("r")
    report.chapter("Impedance", text="real spectra")
    report.add(Result(), heading="first", figures=[])
    report.add(Result(ok=False, reason="no data"), heading="second", figures=[])
    report.chapter("Pipeline")
    report.add(None, heading="Measured vs model", table=[
        {"quantity": "CCD / (mA/cm2)", "measured": 0.5, "model": "0.52", "kind": "fitted"},
        {"quantity": "capacity at 1 C", "measured": 123, "model": "118", "kind": "predicted"}])
    html = report.to_html()
    toc = html[html.index('<nav class="toc">'):html.index("</nav>")]
    for heading in ("Impedance", "first", "second", "Pipeline", "Measured vs model"):
        assert f">{heading}</a>" in toc
    assert "(failed)" in toc
    assert html.count('<details class="chapter"') == 2
    assert html.count('<details class="section"') == 3
    # every link of the contents points at an element of the page
    for anchor in re.findall(r'href="#([^"]+)"', toc):
        assert f'id="{anchor}"' in html
    assert '<td class="kind-fitted">fitted</td>' in html
    assert '<td class="kind-predicted">predicted</td>' in html


def test_sources_show_file_names_not_paths():
    from ssblab.report import _cell

    assert _cell("/home/me/data/pellet_25C.mpr", "source") == "pellet_25C.mpr"
    assert _cell("/x/rest.csv [3]", "source") == "rest.csv [3]"
    assert _cell("/not/a/source", "comment") == "/not/a/source"


@pytest.mark.slow
def test_demo_fast_stages_without_torch(tmp_path):
    """The impedance and cell-test stages on the bundled real files, with torch and CHGNet
    made unimportable: the demo never needs them."""
    blocker = tmp_path / "block"
    for name in ("torch", "chgnet"):
        (blocker / name).mkdir(parents=True)
        (blocker / name / "__init__.py").write_text(f"raise ImportError('{name} blocked')\n")
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(blocker)!r})
        from ssblab.workflows.demo import run_demo
        run_demo({str(tmp_path / 'out')!r}, stages=["impedance", "cell-tests"], log=lambda t: None)
        assert "torch" not in sys.modules or sys.modules["torch"] is None
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr[-3000:]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<nav class="toc">' in html
    # the real multi-cycle file gives the cycling summary; the 30 s pulse file only a trace
    assert "Galvanostatic cycling, 18 cycles (real data)" in html
    assert "not a cycling test" in html
    # the old report said "retention 1001 %" from the pulse file
    retention = [float(v) for v in re.findall(r"retention vs cycle 1 / %</th><td>([0-9.]+)", html)]
    assert retention and all(50 < r < 150 for r in retention)
    # no absolute paths in legends or tables
    assert "/src/ssblab/data/" not in re.sub(r"<pre>.*?</pre>", "", html, flags=re.S)
    # the DRT sections show peaks inside the measured range
    assert html.count("DRT of the bulk arc") >= 1


@pytest.mark.slow
def test_whole_demo_writes_strict_json(tmp_path):
    import json

    from click.testing import CliRunner

    from ssblab.cli import main

    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "d"), "--json"])
    assert res.exit_code == 0, res.output[-3000:]
    data = json.loads(res.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert "pellet_series" in data and "__" not in res.stdout
    html = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    for chapter in ("Impedance", "Cell tests", "Dendrites", "Atomistic", "Multiscale"):
        assert chapter in html
    assert "Measured vs model" in html and "predicted" in html and "fitted" in html
