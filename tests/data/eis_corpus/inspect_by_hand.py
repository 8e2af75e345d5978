"""How expectations.csv was made: each corpus file opened by hand with pandas/json/galvani,
independently of ssblab's readers (run once, outside the test suite, with galvani installed:
it is GPL and never a dependency of ssblab). For every file the layout below was read off the
file itself: where the table starts, the delimiter, which columns are f, Z', Z'' and how Z'' is
signed. The script records what a correct reader must return; tests/echem/test_eis_corpus.py
compares ssblab against it.
"""

import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def spectra_from(f, re, im, split=None):
    f, re, im = (np.asarray(x, dtype=float) for x in (f, re, im))
    keep = ~((f == 0) & (re == 0) & (im == 0))
    if split is None:
        return [(f[keep], re[keep] + 1j * im[keep])]
    split = np.asarray(split)[keep]
    f, z = f[keep], re[keep] + 1j * im[keep]
    return [(f[split == k], z[split == k]) for k in pd.unique(split)]


def gamry(path, re="Zreal", im="Zimag"):
    lines = Path(path).read_text(encoding="latin-1").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ZCURVE\tTABLE"))
    names = lines[start + 1].strip("\t").split("\t")
    rows = []
    for line in lines[start + 3:]:
        if not line.startswith("\t"):
            break
        rows.append([float(v.replace(",", ".")) for v in line.strip("\t").split("\t")])
    df = pd.DataFrame(rows, columns=names)
    return spectra_from(df["Freq"], df[re], df[im])


def mpt(path, split=True):
    text = Path(path).read_text(encoding="latin-1")
    n = int(text.splitlines()[1].split(":")[1])
    df = pd.read_csv(path, sep="\t", skiprows=n - 1, encoding="latin-1", index_col=False)
    return spectra_from(df["freq/Hz"], df["Re(Z)/Ohm"], -df["-Im(Z)/Ohm"],
                        df["cycle number"] if split and "cycle number" in df else None)


def mpr(path):
    from galvani import BioLogic

    d = BioLogic.MPRfile(str(path)).data
    return spectra_from(d["freq/Hz"], d["Re(Z)/Ohm"], -d["-Im(Z)/Ohm"],
                        d["cycle number"] if "cycle number" in d.dtype.names else None)


def table(path, skip=0, sep=",", header=None, cols=(0, 1, 2), signs=(1, 1, 1), decimal=".",
          nrows=None, split_restarts=False, polar=False, encoding="utf-8-sig"):
    df = pd.read_csv(path, sep=sep, skiprows=skip, header=header, decimal=decimal, nrows=nrows,
                     engine="python", encoding=encoding, index_col=False)
    f, a, b = (df.iloc[:, c].astype(float).to_numpy() * s for c, s in zip(cols, signs))
    if polar:  # |Z| and phase in degrees
        a, b = a * np.cos(np.deg2rad(b)), a * np.sin(np.deg2rad(b))
    split = None
    if split_restarts:  # a new sweep starts where the frequency jumps back
        step = np.diff(np.log10(f))
        start = np.flatnonzero(np.sign(step) != np.sign(np.median(step))) + 1
        split = np.zeros(len(f), int)
        for k in start:
            split[k:] += 1
    return spectra_from(f, a, b, split)


def relaxis(path):
    lines = Path(path).read_text(encoding="latin-1").splitlines()
    rows = [line.split("\t") for line in lines if line[:1].isdigit()]
    arr = np.array([[float(v) for v in r[:3]] for r in rows])
    return spectra_from(arr[:, 0], arr[:, 1], arr[:, 2])


def pssession(path):
    text = Path(path).read_bytes().decode("utf-16")
    data = json.loads(text[:text.rfind("}") + 1])
    values = {v["Description"]: [x["V"] for x in v["DataValues"]]
              for v in data["Measurements"][0]["DataSet"]["Values"]}
    return spectra_from(values["Frequency"], values["ZRe"], -np.array(values["ZIm"]))


def gamry_blanks(path):
    """The ZCURVE rows as gamry-parser reads them: every numeric line under the header and the
    units line, its fields split on any blank (tabs or spaces)."""
    lines = Path(path).read_text(encoding="latin-1").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ZCURVE\tTABLE"))
    names = lines[start + 1].split()
    rows = []
    for line in lines[start + 3:]:
        fields = line.split()
        if len(fields) != len(names):
            break
        rows.append([float(v) for v in fields])
    df = pd.DataFrame(rows, columns=names)
    return spectra_from(df["Freq"], df["Zreal"], df["Zimag"])


def ism(path):
    """Zahner .ism, unpacked with struct: 6-byte version, 6-byte count - 1, then big-endian
    doubles f, |Z|, phase (rad); the sweep between the highest and the lowest frequency, as
    Zahner's IsmImport returns it by default."""
    import struct

    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[6:12], "big") + 1
    f, m, ph = (np.array(struct.unpack(f">{n}d", raw[12 + 8 * n * k:12 + 8 * n * (k + 1)]))
                for k in range(3))
    a, b = sorted((int(np.argmin(f)), int(np.argmax(f))))
    f, m, ph = f[a:b + 1], m[a:b + 1], ph[a:b + 1]
    return spectra_from(f, m * np.cos(ph), m * np.sin(ph))


def _lower_keys(obj):
    return {k.lower(): v for k, v in obj.items()}


def pssession_any(path):
    """Every measurement with a Frequency array, keys compared in lower case (PSTrace 5 writes
    'Measurements', later versions 'measurements'); sweeps split where f jumps back."""
    text = Path(path).read_bytes().decode("utf-16")
    data = json.loads(text[:text.rfind("}") + 1], object_hook=_lower_keys)
    out = []
    for m in data["measurements"]:
        values = {v["description"]: np.array([x["v"] for x in v["datavalues"]])
                  for v in m["dataset"]["values"]}
        if "Frequency" in values:
            f, z = values["Frequency"], values["ZRe"] - 1j * values["ZIm"]
            out += _restarts((f, z))
    return out


def xlsx(path):
    sheets = pd.read_excel(path, sheet_name=None)
    out = []
    for df in sheets.values():
        names = list(df.columns)
        if "|Z|" in names:
            m, ph = df["|Z|"], -df["-phase"]
            out += spectra_from(df.iloc[:, 0], m * np.cos(np.deg2rad(ph)), m * np.sin(np.deg2rad(ph)))
        else:
            sign = -1 if names[2].startswith("-") else 1
            out += spectra_from(df.iloc[:, 0], df.iloc[:, 1], sign * df.iloc[:, 2])
    return out


def dfr(path):
    lines = [line.strip() for line in Path(path).read_text().splitlines()]
    n = int(lines[1])
    v = np.array([float(x) for x in lines[3:3 + 9 * n]]).reshape(n, 9)
    return spectra_from(v[:, 0], v[:, 1], -v[:, 2])


def versastudio(path):
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("Definition="))
    names = [n.strip() for n in lines[k].split("=", 1)[1].split(",")]
    rows = []
    for line in lines[k + 1:]:
        if line.startswith("</Segment"):
            break
        rows.append([float(v) for v in line.split(",")])
    df = pd.DataFrame(rows, columns=names[:len(rows[0])])
    return spectra_from(df["Frequency(Hz)"], df["Z Real"], df["Z Imag"])


def zplot(path):
    lines = Path(path).read_text(encoding="latin-1").splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip() == "End Comments")
    arr = np.array([[float(v) for v in line.split("\t")] for line in lines[end + 1:] if line.strip()])
    return spectra_from(arr[:, 0], arr[:, 4], arr[:, 5])


# file -> (how it was read by hand, reader call); "refuse:<regex>" for files that must be refused.
S = {}
ip = "impedance_py"
for n in ("Circuit1_EIS_1", "Circuit1_EIS_2", "Circuit2_EIS_1", "Circuit2_EIS_2", "Circuit3_EIS_1",
          "Circuit3_EIS_2", "exampleDataZPlot"):
    S[f"{ip}/{n}.z"] = ("ZPlot: tab rows after 'End Comments'; f col 0, Z' col 4, Z'' col 5 physical", zplot)
S[f"{ip}/exampleData.csv"] = ("no header: f, Z', Z'' physical", lambda p: table(p))
S[f"{ip}/exampleDataAutolab.txt"] = ("11 preamble lines, quoted header, comma rows; f col 0, Z'(a) col 4, Z''(b) col 5 physical",
                                     lambda p: table(p, skip=11, cols=(0, 4, 5)))
S[f"{ip}/exampleDataZPlot_noComments.z"] = ("10 preamble lines, quoted header, comma rows; cols 0, 4, 5 physical",
                                            lambda p: table(p, skip=10, cols=(0, 4, 5)))
S[f"{ip}/exampleDataBioLogic.mpt"] = ("EC-Lab text: -Im(Z) negated", mpt)
S[f"{ip}/exampleDataBioLogic_MissingFreq.mpt"] = ("header lacks freq/Hz while rows keep it: refuse", "refuse:header names 17 columns but the data rows hold 18")
S[f"{ip}/exampleDataCHInstruments.txt"] = ("CHI: 18 preamble lines, header 'Freq/Hz, Z'/ohm, Z\"/ohm, Z/ohm, Phase/deg', blank line, comma rows; Z\" physical",
                                           lambda p: table(p, skip=18))
S[f"{ip}/exampleDataGamry.DTA"] = ("Gamry ZCURVE: Freq, Zreal, Zimag physical", gamry)
S[f"{ip}/exampleDataGamryABORT.DTA"] = ("Gamry ZCURVE (aborted run): the rows present", gamry)
S[f"{ip}/exampleDataParstat.txt"] = ("Parstat: tab, header line; rows with f=0 and Z=0 are not impedance; Frequency col 3, Zre col 4, Zim col 5 physical",
                                     lambda p: table(p, skip=1, sep="\t", cols=(3, 4, 5)))
S[f"{ip}/exampleDataPowersuite.txt"] = ("PowerSuite: tab header 'Frequency Zre Zimg'; Zimg physical",
                                        lambda p: table(p, skip=1, sep="\t"))
S[f"{ip}/exampleDataVersaStudio.par"] = ("VersaStudio: Definition= line names columns; Frequency(Hz), Z Real, Z Imag physical", versastudio)
ef = "eisfitpython"
S[f"{ef}/CSV_Example.csv"] = ("no header: f, Z', Z'' physical", lambda p: table(p))
S[f"{ef}/Example_noheader.txt"] = ("no header, tab: f, Z', Z'' physical", lambda p: table(p, sep="\t"))
S[f"{ef}/Example_header.txt"] = ("4 '#'/blank lines, header Freq.[Hz] Zs'[ohm] Zs''[ohm] (double tabs), tab rows; Zs'' physical",
                                 lambda p: table(p, skip=5, sep="\t"))
S[f"{ef}/Example2a.txt"] = ("Novocontrol/WinDETA: 3 preamble lines, header Freq.[Hz] Zs'[ohm] Zs''[ohm], tab rows",
                             lambda p: table(p, skip=4, sep="\t"))
for n in ("Example2b", "Example2c"):
    S[f"{ef}/{n}.txt"] = ("Novocontrol/WinDETA: 2 preamble lines, header Freq. [Hz] Zs' [Ohms] Zs'' [Ohms], tab rows",
                          lambda p: table(p, skip=3, sep="\t"))
for t in (140, 150, 160, 170, 180, 190, 200):
    S[f"{ef}/s04147-{t}deg.txt"] = ("Novocontrol/WinDETA: 2 preamble lines, header, tab rows; temperature from the name",
                                    lambda p: table(p, skip=3, sep="\t"))
dt = "drttools"
S[f"{dt}/data_LIB.csv"] = ("no header: f, Z', Z'' physical", lambda p: table(p))
S[f"{dt}/data_ZARC.csv"] = ("no header: f, Z', Z'' physical", lambda p: table(p))
for n in ("LIB_data", "LIB_data_2", "negami_data", "zarc_data"):
    S[f"{dt}/{n}.txt"] = ("no header, whitespace: f, Z', Z'' physical", lambda p: table(p, sep=r"\s+"))
bd = "bayes_drt"
S[f"{bd}/550C.0.5V.DTA"] = ("Gamry ZCURVE", gamry)
S[f"{bd}/PDAC_COM3_02109_Contact10_2065C_500C.txt"] = ("Gamry EXPLAIN file named .txt", gamry)
S[f"{bd}/PDAC_COM3_02210_Contact111_2072C_350C.txt"] = ("Gamry EXPLAIN file named .txt", gamry)
S[f"{bd}/DRTtools_LIB_data_qtr.csv"] = ("header Freq,Zreal,Zimag,Zmod,Zphz; Zimag physical", lambda p: table(p, skip=1))
hd = "hybrid_drt"
S[f"{hd}/EISGALV_EISTest3.DTA"] = ("Gamry ZCURVE", gamry)
S[f"{hd}/PEIS_LPSCl_IonBlocking_-25C.mpr"] = ("EC-Lab binary, read with galvani", mpr)
S[f"{hd}/PEIS_SSB.mpr"] = ("EC-Lab binary, read with galvani", mpr)
S[f"{hd}/Sample1_PEIS_EndOfDischarge.mpr"] = ("EC-Lab binary, read with galvani", mpr)
S[f"{hd}/PEIS_LPSCl_IonBlocking_-25C.txt"] = ("EC-Lab text", mpt)
S[f"{hd}/PEIS_LPSCl_IonBlocking_-25C_RelaxIS.txt"] = ("RelaxIS: numeric tab rows, f, Z', Z'' physical", relaxis)
S[f"{hd}/Sample2_PEIS_AtRest.csv"] = ("header time/s,freq/Hz,|Z|/Ohm,Phase(Z)/deg,...,loop_index; polar, split by loop_index",
                                      lambda p: [s for s in _loops(p)])
py = "pyimpspec"
for n in ("data-comma", "data-header-variant-1", "case-fragment"):
    S[f"{py}/{n}.csv"] = ("header f,Z',Z''; physical", lambda p: table(p, skip=1))
S[f"{py}/data-header-variant-2.csv"] = ("header freq,Zre,-Zim: negate col 2", lambda p: table(p, skip=1, signs=(1, 1, -1)))
S[f"{py}/data-header-variant-3.csv"] = ("header frequency,real,imaginary", lambda p: table(p, skip=1))
S[f"{py}/data-header-variant-4.csv"] = ("header frequency,|Z|,-phase: polar, phase negated",
                                        lambda p: table(p, skip=1, signs=(1, 1, -1), polar=True))
S[f"{py}/case-negative-real-imaginary.csv"] = ("header f,-Z',-Z'': both negated", lambda p: table(p, skip=1, signs=(1, -1, -1)))
S[f"{py}/data-semicolon.csv"] = ("semicolon", lambda p: table(p, skip=1, sep=";"))
S[f"{py}/data-tab.csv"] = ("tab", lambda p: table(p, skip=1, sep="\t"))
S[f"{py}/data-space.csv"] = ("space", lambda p: table(p, skip=1, sep=" "))
S[f"{py}/data-comma-decimal-separator.csv"] = ("tab, decimal commas", lambda p: table(p, skip=1, sep="\t", decimal=","))
S[f"{py}/case-multiple-spectra.csv"] = ("one header, sweeps concatenated: split where f jumps back", lambda p: table(p, skip=1, split_restarts=True))
S[f"{py}/case-multiple-spectra-reverse.csv"] = ("ascending sweeps concatenated", lambda p: table(p, skip=1, split_restarts=True))
for n in ("data", "data-metadata"):
    S[f"{py}/{n}.mpt"] = ("EC-Lab text, split by cycle number", mpt)
S[f"{py}/case-multiple-spectra.mpt"] = ("EC-Lab text, cycle number 0 throughout, three sweeps concatenated: split where f jumps back",
                                        lambda p: _restarts(mpt(p)[0]))
S[f"{py}/data.dta"] = ("Gamry ZCURVE", gamry)
S[f"{py}/drift-corrected-data.dta"] = ("Gamry ZCURVE, raw Zreal/Zimag (not the DrCor columns)", gamry)
S[f"{py}/data.z"] = ("ZPlot", zplot)
S[f"{py}/data.i2b"] = ("5 text lines, blank, point count, whitespace rows f Z' Z'' physical", lambda p: table(p, skip=6, sep=r"\s+"))
S[f"{py}/data.dfr"] = ("VERSION, count, 1, then 9 values a point: f, Z', -Z''", dfr)
S[f"{py}/data.pssession"] = ("UTF-16 JSON; Measurements[0].DataSet Frequency/ZRe/ZIm, ZIm = -Z''", pssession)
S[f"{py}/data.xlsx"] = ("4 sheets, header row each; one spectrum per sheet", xlsx)
S[f"{py}/data.idf"] = ("Ivium binary", "refuse:Ivium .idf is not supported; export it as text")
S[f"{py}/data.ids"] = ("Ivium binary", "refuse:Ivium .ids is not supported; export it as text")
for n in ("ex1", "ex2"):
    S[f"pyeis/{n}.mpt"] = ("EC-Lab text, two loops (cycle number)", mpt)
yd = "yadg"
for n in ("peis", "peis.issue_149", "geis.issue_149", "peis.issue_225.no_ece"):
    S[f"{yd}/{n}.mpt"] = ("EC-Lab text, split by cycle number", mpt)
    S[f"{yd}/{n}.mpr"] = ("EC-Lab binary, read with galvani", mpr)
S[f"{yd}/peis.issue_225.ewe_ece.mpt"] = ("EC-Lab 11.50 text: header has an empty name and one more name past the 61 data columns; first 61 names align", mpt)
S[f"{yd}/peis.issue_225.ewe_ece.mpr"] = ("galvani cannot read it (column 215 unknown): same spectrum as the .mpt (cross-checked in the test)",
                                         lambda p: mpt(p.with_suffix(".mpt")))

gp = "gamry_parser"
S[f"{gp}/eispot_data.dta"] = ("Gamry ZCURVE whose last 4 rows are separated by spaces (edited by hand): "
                              "10 rows, as gamry-parser reads them", gamry_blanks)
S[f"{gp}/eispot_data_curveaborted.dta"] = ("Gamry ZCURVE of an aborted run: the 5 rows present", gamry)
ps = "palmsens_sdk"
for n in ("eis_5freq", "eis_3ch_4scan_5freq", "BatteryCurve", "Demo CV DPV EIS IS-C electrode"):
    S[f"{ps}/{n}.pssession"] = ("UTF-16 JSON, keys in either case; the measurements with Frequency/ZRe/ZIm "
                                "(ZIm = -Z''), sweeps split where f jumps back", pssession_any)
bc = "biologic_converter"
for n in ("peis", "geis"):
    S[f"{bc}/{n}.mpt"] = ("EC-Lab text, split by cycle number", mpt)
S[f"{bc}/zir.mpt"] = ("ZIR (IR compensation): one frequency, not a spectrum", "refuse:expected at least 3 frequencies, found 1 .* is not a spectrum")
S[f"{bc}/zir.mpr"] = ("ZIR (IR compensation): one frequency, not a spectrum", "refuse:expected at least 3 frequencies, found 1 .* is not a spectrum")
ae = "autoeis"
S[f"{ae}/test_data.csv"] = ("EC-Lab columns as CSV: freq/Hz, Re(Z)/Ohm, -Im(Z)/Ohm negated", lambda p: table(p, skip=1, signs=(1, 1, -1)))
S[f"{ae}/test_data.txt"] = ("the same as tab text", lambda p: table(p, skip=1, sep="\t", signs=(1, 1, -1)))

za = "zahner_analysis"
for n in ("rc-data", "li-ion-battery", "500uR_measurement_pro", "drift", "000_mvdc"):
    S[f"{za}/{n}.ism"] = ("Zahner .ism (binary, big-endian): the sweep between f max and f min, "
                          "|Z| and phase (rad)", ism)

S[f"{yd}/peis.issue_225.with_ece.mpt"] = ("EC-Lab 11.50 text: as ewe_ece, header one name longer than the rows", mpt)
S[f"{yd}/peis.issue_225.with_ece.mpr"] = ("galvani cannot read it (column 215 unknown): same spectrum as the .mpt",
                                          lambda p: mpt(p.with_suffix(".mpt")))
S[f"{yd}/geis.mpr"] = ("EC-Lab binary GEIS, 61 loops, read with galvani, split by cycle number", mpr)
S[f"{yd}/mb.issue_223.mpt"] = ("EC-Lab text, Modulo Bat: impedance rows (freq != 0) in 4 blocks between "
                               "other techniques' rows, cycle number 0 throughout: one spectrum a block", lambda p: mpt_blocks(p))
S[f"{yd}/mb.issue_223.mpr"] = ("galvani cannot read it (column 112 unknown): the blocks of the .mpt of the same run",
                               lambda p: mpt_blocks(p.with_suffix(".mpt")))
S[f"{yd}/vsp_peis_with.mpr"] = ("galvani cannot read it: the .mpt of the same run in yadg (1.6 MB, not kept; "
                                "YADG_CHECKOUT=path of a yadg clone at 61d55fe), split by cycle number",
                                lambda p: mpt(Path(os.environ["YADG_CHECKOUT"]) / "tests/test_x_eclab/vsp_peis_with.mpt"))
S[f"{yd}/mb.issue_95.mpr"] = ("Modulo Bat without impedance (no freq/Hz column): refuse",
                              "refuse:records no impedance .* holds no spectrum")
S[f"{py}/data.P00"] = ("4 text lines, header f/Hz Z'/Ohm -Z''/Ohm (tab), point count 29, tab rows; -Z'' negated",
                       lambda p: table(p, skip=6, sep=r"\s+", header=None, signs=(1, 1, -1)))
S[f"{py}/data.json"] = ("pandas JSON, columns orient: 'f (Hz)', 'Re(Z) (ohm)', 'Im(Z) (ohm)' physical",
                        lambda p: spectra_from(*(list(json.loads(p.read_text())[k].values())
                                                 for k in ("f (Hz)", "Re(Z) (ohm)", "Im(Z) (ohm)"))))
S[f"{py}/data.ods"] = ("OpenDocument spreadsheet", "refuse:OpenDocument .ods is not supported; export it as text")
S[f"{py}/data.fods"] = ("Flat OpenDocument (XML) spreadsheet", "refuse:Flat OpenDocument .fods is not supported; export it as text")
cc = "chemotion_converter"
S[f"{cc}/DHM-Cudmp_EISPOT - Copy.DTA"] = ("Gamry Framework 7.10 EISPOT ZCURVE (Temp column reads ~1395 C: no sensor)", gamry)
S[f"{cc}/CHD048_CHD050_60C_C01.mpr"] = ("EC-Lab PEIS of a grouped channel whose data module holds 0 points (galvani: 0 rows)",
                                        "refuse:the data module holds no points")
dl = "datalab_insitu"
S[f"{dl}/jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_02_GEIS_C05.mpr"] = (
    "EC-Lab binary GEIS of a Li|Li cell, read with galvani, split by cycle number: 45 loops of 9, "
    "as the run's own _LOOP.txt says (indexes 0, 9, ..., 405)", mpr)
S[f"{dl}/jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA-prerun_C05.mpr"] = (
    "EC-Lab binary impedance of the same Li|Li cell before cycling, read with galvani", mpr)
for n in ("2XZARCequal", "2ZARC0", "2ZARC5"):
    S[f"pydrttools/{n}.csv"] = ("pandas to_csv: header ',Freq,Real,Imag' over an unnamed index column; Imag physical",
                                lambda p: table(p, skip=1, cols=(1, 2, 3)))
S["zahner_thales/EIS.csv"] = ("semicolon, header Frequency;Impedance;Phase, numbers with SI prefixes (735.948m, 1.462k); "
                              "polar, phase in degrees", lambda p: zahner_si(p))


def zahner_si(path):
    factor = {"m": 1e-3, "k": 1e3, "M": 1e6, "u": 1e-6}
    rows = [[float(v[:-1]) * factor[v[-1]] if v[-1] in factor else float(v) for v in line.split(";")]
            for line in Path(path).read_text().splitlines()[1:] if line.strip()]
    f, m, ph = np.array(rows).T
    return spectra_from(f, m * np.cos(np.deg2rad(ph)), m * np.sin(np.deg2rad(ph)))


def mpt_blocks(path):
    text = Path(path).read_text(encoding="latin-1")
    n = int(text.splitlines()[1].split(":")[1])
    df = pd.read_csv(path, sep="\t", skiprows=n - 1, encoding="latin-1", index_col=False)
    f = df["freq/Hz"].to_numpy(float)
    block = np.cumsum(np.r_[True, np.diff((f != 0).astype(int)) != 0])
    return spectra_from(f, df["Re(Z)/Ohm"], -df["-Im(Z)/Ohm"], block)


def _restarts(spectrum):
    f, z = spectrum
    starts = [0] + [i for i in range(1, len(f)) if f[i] > 10 * f[i - 1]] + [len(f)]
    return [(f[a:b], z[a:b]) for a, b in zip(starts[:-1], starts[1:])]


def _loops(path):
    df = pd.read_csv(path)
    m, ph = df["|Z|/Ohm"], np.deg2rad(df["Phase(Z)/deg"])
    return spectra_from(df["freq/Hz"], m * np.cos(ph), m * np.sin(ph), df["loop_index"])


def main():
    rows = []
    for name, (how, reader) in sorted(S.items()):
        path = HERE / name
        if isinstance(reader, str):
            rows.append({"file": name, "outcome": "refuse", "message": reader.split(":", 1)[1], "how": how})
            continue
        spectra = reader(path)
        z0 = spectra[0][1]
        rows.append({"file": name, "outcome": "read", "n_spectra": len(spectra),
                     "n_points": ";".join(str(len(f)) for f, _ in spectra),
                     "f_min_Hz": f"{min(f.min() for f, _ in spectra):.6g}",
                     "f_max_Hz": f"{max(f.max() for f, _ in spectra):.6g}",
                     "z_real_first_ohm": f"{z0[0].real:.6g}", "z_imag_first_ohm": f"{z0[0].imag:.6g}",
                     "frac_capacitive": f"{np.mean(z0.imag < 0):.3f}", "how": how})
    names = ["file", "outcome", "n_spectra", "n_points", "f_min_Hz", "f_max_Hz", "z_real_first_ohm",
             "z_imag_first_ohm", "frac_capacitive", "message", "how"]
    with open(HERE / "expectations.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, names)
        writer.writeheader()
        writer.writerows(rows)
    listed = set(S)
    on_disk = {str(p.relative_to(HERE)) for p in HERE.rglob("*") if p.is_file() and p.parent != HERE
               and not p.name.upper().startswith(("LICEN", "REUSE"))}
    print("not inspected:", sorted(on_disk - listed), file=sys.stderr)


if __name__ == "__main__":
    main()
