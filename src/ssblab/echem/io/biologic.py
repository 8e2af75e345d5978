"""Bio-Logic EC-Lab files: the binary ``.mpr`` and the text export ``.mpt``.

``.mpr`` layout (learnt from the files themselves and checked against their ``.mpt`` twins):
a 52-byte signature ``BIO-LOGIC MODULAR FILE\\x1a`` + padding, then modules, each starting
with ``MODULE``, a 10-byte short name (``VMP Set``, ``VMP data``, ``VMP LOG``, ...), a 25-byte
long name, and either ``length u4, version u4, date[8]`` (older files) or
``0xFFFFFFFF, length u4, u4, version u4, date[8]`` (EC-Lab >= 11.5). The data module holds
``n_points u4``, the column count (``u1`` for version < 3, ``u2`` after), the column IDs
(``u2`` each), and from offset 0x195 (version < 3) or 0x3EF the fixed-size records, one per
point, with the columns in ID order. The flag columns (mode, ox/red, error, control changes,
Ns changes, counter inc.) share one bit-packed byte. The record size implied by the module
length is checked against the column table, so an unknown column is reported, not misread.
"""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path

import numpy as np

from ssblab.echem.io._common import (
    DataWarning,
    RawTable,
    _read_bytes,
    header_names,
    parse_numeric_block,
    read_head,
    read_text,
)
from ssblab.errors import InputError

MPR_SIGNATURE = b"BIO-LOGIC MODULAR FILE\x1a"
MPT_SIGNATURE = "EC-Lab ASCII FILE"

# Flag columns: one shared byte, each a bit mask of it.
_FLAGS = {1: ("mode", 0x03), 2: ("ox/red", 0x04), 3: ("error", 0x08),
          21: ("control changes", 0x10), 31: ("Ns changes", 0x20), 65: ("counter inc.", 0x80)}

# Column ID -> (name as EC-Lab exports it in .mpt, dtype).
_COLUMNS = {
    4: ("time/s", "<f8"), 5: ("control/V/mA", "<f4"), 6: ("Ewe/V", "<f4"),
    7: ("dq/mA.h", "<f8"), 8: ("I/mA", "<f4"), 9: ("Ece/V", "<f4"), 11: ("<I>/mA", "<f8"),
    13: ("(Q-Qo)/mA.h", "<f8"), 16: ("Analog IN 1/V", "<f4"), 19: ("control/V", "<f4"),
    20: ("control/mA", "<f4"), 23: ("dQ/mA.h", "<f8"), 24: ("cycle number", "<f8"),
    26: ("Rapp/Ohm", "<f4"), 27: ("Ewe-Ece/V", "<f4"), 32: ("freq/Hz", "<f4"),
    33: ("|Ewe|/V", "<f4"), 34: ("|I|/A", "<f4"), 35: ("Phase(Z)/deg", "<f4"),
    36: ("|Z|/Ohm", "<f4"), 37: ("Re(Z)/Ohm", "<f4"), 38: ("-Im(Z)/Ohm", "<f4"),
    39: ("I Range", "<u2"), 69: ("R/Ohm", "<f4"), 70: ("P/W", "<f4"),
    74: ("|Energy|/W.h", "<f8"), 75: ("Analog OUT/V", "<f4"), 76: ("<I>/mA", "<f4"),
    77: ("<Ewe>/V", "<f4"), 78: ("Cs-2/µF-2", "<f4"), 96: ("|Ece|/V", "<f4"),
    98: ("Phase(Zce)/deg", "<f4"), 99: ("|Zce|/Ohm", "<f4"), 100: ("Re(Zce)/Ohm", "<f4"),
    101: ("-Im(Zce)/Ohm", "<f4"), 123: ("Energy charge/W.h", "<f8"),
    124: ("Energy discharge/W.h", "<f8"), 125: ("Capacitance charge/µF", "<f8"),
    126: ("Capacitance discharge/µF", "<f8"), 131: ("Ns", "<u2"), 163: ("|Estack|/V", "<f4"),
    168: ("Rcmp/Ohm", "<f4"), 169: ("Cs/µF", "<f4"), 172: ("Cp/µF", "<f4"),
    173: ("Cp-2/µF-2", "<f4"), 174: ("<Ewe>/V", "<f4"), 241: ("|E1|/V", "<f4"),
    242: ("|E2|/V", "<f4"), 271: ("Phase(Z1)/deg", "<f4"), 272: ("Phase(Z2)/deg", "<f4"),
    301: ("|Z1|/Ohm", "<f4"), 302: ("|Z2|/Ohm", "<f4"), 331: ("Re(Z1)/Ohm", "<f4"),
    332: ("Re(Z2)/Ohm", "<f4"), 361: ("-Im(Z1)/Ohm", "<f4"), 362: ("-Im(Z2)/Ohm", "<f4"),
    391: ("<E1>/V", "<f4"), 392: ("<E2>/V", "<f4"), 430: ("Phase(Zwe-ce)/deg", "<f4"),
    431: ("|Zwe-ce|/Ohm", "<f4"), 432: ("Re(Zwe-ce)/Ohm", "<f4"),
    433: ("-Im(Zwe-ce)/Ohm", "<f4"), 434: ("(Q-Qo)/C", "<f4"), 435: ("dQ/C", "<f4"),
    441: ("<Ecv>/V", "<f4"), 462: ("Temperature/°C", "<f4"),
    467: ("Q charge/discharge/mA.h", "<f8"), 468: ("half cycle", "<u4"),
    469: ("z cycle", "<u4"), 471: ("<Ece>/V", "<f4"), 473: ("THD Ewe/%", "<f4"),
    474: ("THD I/%", "<f4"), 476: ("NSD Ewe/%", "<f4"), 477: ("NSD I/%", "<f4"),
    479: ("NSR Ewe/%", "<f4"), 480: ("NSR I/%", "<f4"), 486: ("|Ewe h2|/V", "<f4"),
    487: ("|Ewe h3|/V", "<f4"), 488: ("|Ewe h4|/V", "<f4"), 489: ("|Ewe h5|/V", "<f4"),
    490: ("|Ewe h6|/V", "<f4"), 491: ("|Ewe h7|/V", "<f4"), 492: ("|I h2|/A", "<f4"),
    493: ("|I h3|/A", "<f4"), 494: ("|I h4|/A", "<f4"), 495: ("|I h5|/A", "<f4"),
    496: ("|I h6|/A", "<f4"), 497: ("|I h7|/A", "<f4"),
    # From yadg's table (GPL-3, facts only; yadg keys these by the low byte: ID - 256),
    # not yet seen in a file with a text twin:
    17: ("Analog IN 2/V", "<f4"), 438: ("step time/s", "<f8"), 475: ("THD Ece/%", "<f4"),
    478: ("NSD Ece/%", "<f4"), 481: ("NSR Ece/%", "<f4"), 498: ("|Ece h2|/V", "<f4"),
    499: ("|Ece h3|/V", "<f4"), 500: ("|Ece h4|/V", "<f4"), 501: ("|Ece h5|/V", "<f4"),
    502: ("|Ece h6|/V", "<f4"), 503: ("|Ece h7|/V", "<f4"), 504: ("Rac/Ohm", "<f4"),
    505: ("Rdc/Ohm", "<f4"),
    # yadg's 115 and 116 (ID modulo 256), in a GCPL file of yadg's issue 230 with Ece
    # recorded: the two 8-byte columns fill its records exactly, and its counter then agrees
    # with its current (tests/echem/test_cycling_corpus.py).
    883: ("Energy ce charge/W.h", "<f8"), 884: ("Energy ce discharge/W.h", "<f8"),
}

# First byte of the settings module: the technique (only the ones seen in real files; CV,
# CVA and LSV named by the EC-Lab text exports beside biologic-converter's and yadg's files).
_TECHNIQUES = {0x04: "GCPL", 0x06: "CV", 0x0B: "OCV", 0x18: "CA", 0x19: "CP", 0x1D: "PEIS",
               0x33: "CVA", 0x6C: "LSV", 0x7F: "MB"}


def read_mpr(path: str | Path) -> RawTable:
    """All columns of a Bio-Logic ``.mpr`` file, decoded with one ``numpy.frombuffer`` call.

    Examples
    --------
    >>> from importlib.resources import files
    >>> t = read_mpr(files("ssblab") / "data/eis/lpscl_blocking_-25C.mpr")
    >>> t.metadata["technique"], t.n_rows, "freq/Hz" in t.columns
    ('PEIS', 79, True)
    """
    where = str(path)
    if not read_head(path, len(MPR_SIGNATURE)).startswith(MPR_SIGNATURE):  # before reading it all
        raise InputError(f"{where}: not a Bio-Logic .mpr file (no 'BIO-LOGIC MODULAR FILE' "
                         "signature at the start)")
    data = _read_bytes(Path(path))
    if not data.startswith(MPR_SIGNATURE):
        raise InputError(f"{where}: not a Bio-Logic .mpr file (no 'BIO-LOGIC MODULAR FILE' "
                         "signature at the start)")
    modules = _modules(data, where)
    if "VMP data" not in modules:
        raise InputError(f"{where}: no 'VMP data' module; found {', '.join(modules) or 'none'} "
                         "(the file may be truncated)")
    body, version, date = modules["VMP data"]
    metadata = {"format": "biologic-mpr", "data_module_version": version, "date": date}
    if "VMP Set" in modules and len(modules["VMP Set"][0]):
        code = modules["VMP Set"][0][0]
        metadata["technique"] = _TECHNIQUES.get(code, f"technique id {code}")
    try:
        columns = _decode_records(body, version, where)
    except struct.error:  # a column table longer than the module: a layout we do not know
        raise InputError(f"{where}: cannot decode the data module (version {version}): its "
                         "column table runs past the module; export the file as .mpt from "
                         "EC-Lab and read that") from None
    return RawTable(columns, where, metadata)


def _modules(data: bytes, where: str) -> dict[str, tuple[bytes, int, str]]:
    modules = {}
    pos = data.find(b"MODULE", len(MPR_SIGNATURE))
    while pos >= 0:
        head = pos + 6 + 10 + 25
        if head + 16 > len(data):
            raise InputError(f"{where}: truncated inside a module header at byte {pos}")
        name = data[pos + 6:pos + 16].decode("latin-1").strip()
        if data[head:head + 4] == b"\xff\xff\xff\xff":
            length, _, version = struct.unpack_from("<III", data, head + 4)
            start = head + 16
        else:
            length, version = struct.unpack_from("<II", data, head)
            start = head + 8
        date = data[start:start + 8].decode("latin-1", "replace")
        start += 8
        if start + length > len(data):
            raise InputError(f"{where}: truncated: module {name!r} declares {length} bytes but "
                             f"only {len(data) - start} remain")
        modules.setdefault(name, (memoryview(data)[start:start + length], version, date))
        pos = start + length if data[start + length:start + length + 6] == b"MODULE" else \
            data.find(b"MODULE", start + length)
    return modules


# Data-module layouts: (bytes of the column count, ID type, first ID byte, first record byte).
# galvani and yadg read 0 (u1 IDs, records at 100), 2 and 3 (u1 count, u2 IDs from byte 5,
# records at 0x195 / 0x196) and 10+ (EC-Lab >= 11.50: u2 count, IDs from byte 6, at 0x3EF);
# some EC-Lab releases write version 3 in the newer layout. Seen in the corpus: all but 0.
_LAYOUTS = {"new": (2, "H", 6, 0x3EF), "v3": (1, "H", 5, 0x196), "v2": (1, "H", 5, 0x195),
            "v0": (1, "B", 5, 100)}


def _column_table(body, version: int, n_points: int) -> tuple[tuple, int] | None:
    """Column IDs and first record byte: the layout whose record size, from the IDs we know,
    fills the module exactly wins (tried in the order the version suggests); with unknown IDs
    the first layout whose table fits is taken."""
    order = ["new", "v3", "v2", "v0"] if version >= 3 else ["v2", "v0", "new", "v3"]
    first = None
    for name in order:
        count_bytes, id_type, id_at, offset = _LAYOUTS[name]
        if len(body) < id_at:
            continue
        n_cols = struct.unpack_from("<H", body, 4)[0] if count_bytes == 2 else body[4]
        if id_at + n_cols * struct.calcsize(id_type) > min(len(body), offset):
            continue
        ids = struct.unpack_from(f"<{n_cols}{id_type}", body, id_at)
        first = first or (ids, offset)
        size = _record_size(ids)
        if size and n_points and len(body) - offset == size * n_points:
            return ids, offset
    return first


def _record_size(ids) -> int | None:
    """Bytes per record for these column IDs; None when one is unknown."""
    size, flags = 0, False
    for cid in ids:
        if cid in _FLAGS:
            size += 0 if flags else 1
            flags = True
        elif cid in _COLUMNS:
            size += np.dtype(_COLUMNS[cid][1]).itemsize
        else:
            return None
    return size


def _decode_records(body: bytes, version: int, where: str) -> dict[str, np.ndarray]:
    if len(body) < 6:
        raise InputError(f"{where}: the data module is truncated ({len(body)} bytes)")
    n_points = struct.unpack_from("<I", body, 0)[0]
    table = _column_table(body, version, n_points)
    if table is None:
        raise InputError(f"{where}: the data module (version {version}) is truncated or of an "
                         "unknown layout (its column table does not fit); export the file as "
                         "text (.mpt) from EC-Lab and read that")
    ids, offset = table
    if n_points == 0:
        raise InputError(f"{where}: the data module holds no points (a technique that records "
                         "nothing, e.g. a wait step)")
    record_bytes, remainder = divmod(len(body) - offset, n_points)
    fields, unknown, flags_at = [], [], None
    for cid in ids:
        if cid in _FLAGS:
            if flags_at is None:
                flags_at = len(fields)
                fields.append(("flags", "u1"))
            continue
        if cid in _COLUMNS:
            fields.append(_COLUMNS[cid])
        else:
            unknown.append(len(fields))
            fields.append((f"column {cid}", None))
    known = sum(np.dtype(dt).itemsize for _, dt in fields if dt is not None)
    missing = record_bytes - known
    if len(unknown) == 1 and missing in (1, 2, 4, 8) and not remainder:
        # One column we have no name for: its width follows from the record size.
        name = fields[unknown[0]][0]
        fields[unknown[0]] = (name, {1: "u1", 2: "<u2", 4: "<f4", 8: "<f8"}[missing])
    elif len(unknown) > 1 and missing == 4 * len(unknown) and not remainder:
        # Several new columns that together fill exactly 4 bytes each: EC-Lab's measured
        # quantities are float32 (the harmonics and distortion columns of EC-Lab 11.4x files,
        # checked against their .mpt export). They keep the name 'column <id>'.
        for i in unknown:
            fields[i] = (fields[i][0], "<f4")
    elif unknown or missing != 0 or remainder:
        unknown_ids = sorted({int(fields[i][0].split()[1]) for i in unknown})
        raise InputError(f"{where}: cannot decode the data records (module version {version}): "
                         + (f"column ID(s) {', '.join(map(str, unknown_ids))} unknown to ssblab, "
                            f"{missing} bytes per record unaccounted for"
                            if unknown else
                            f"the {len(ids)} known columns give {known}-byte records but the "
                            f"module holds {n_points} points of "
                            f"{(len(body) - offset) / n_points:g} bytes (truncated?)")
                         + "; export the file as text (.mpt) from EC-Lab and read that")
    names, formats = _unique([f[0] for f in fields]), [f[1] for f in fields]
    records = np.frombuffer(body, dtype=np.dtype({"names": names, "formats": formats}),
                            count=n_points, offset=offset)
    columns = {}
    for name in names:
        if name == "flags":
            flags = records["flags"]
            for cid in ids:
                if cid in _FLAGS:
                    label, mask = _FLAGS[cid]
                    shift = (mask & -mask).bit_length() - 1
                    columns[label] = ((flags & mask) >> shift).astype(np.uint8)
        else:
            columns[name] = records[name]  # a strided view: no copy until a column is used
    return columns


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        out.append(name if name not in out else f"{name} ({len(out)})")
    return out


def read_mpt(path: str | Path) -> RawTable:
    """All columns of an EC-Lab ``.mpt`` text export (decimal commas accepted).

    Examples
    --------
    >>> from importlib.resources import files
    >>> t = read_mpt(files("ssblab") / "data/eis/lpscl_blocking_-25C.mpt")
    >>> t.n_rows, list(t.columns)[:3]
    (79, ['freq/Hz', 'Re(Z)/Ohm', '-Im(Z)/Ohm'])
    """
    where = str(path)
    text = read_text(Path(path))
    if not text.startswith((MPT_SIGNATURE, "BT-Lab ASCII FILE")):
        raise InputError(f"{where}: not an EC-Lab text file (first line is not "
                         f"{MPT_SIGNATURE!r} or 'BT-Lab ASCII FILE')")
    match = re.match(r"[^\n]*\n\s*Nb header lines\s*:\s*(\d+)", text)
    if not match:
        raise InputError(f"{where}: line 2 should give 'Nb header lines : N'")
    n_header = int(match.group(1))
    # Only the header is split into lines; the data block goes to the parser as one string.
    start = 0
    for _ in range(n_header):
        start = text.find("\n", start) + 1
        if start == 0:
            raise InputError(f"{where}: truncated: the header declares {n_header} lines but the "
                             "file ends before the data")
    lines = text[:start].splitlines()
    values = parse_numeric_block(text[start:], delimiter="\t", where=where,
                                 first_line=n_header + 1)
    header = lines[n_header - 1].rstrip("\r").removesuffix("\t").split("\t")
    dropped = header[values.shape[1]:]
    if len(header) > values.shape[1] and dropped[0] == "" and all(dropped[1:]):
        # EC-Lab 11.50 writes an empty name and then names without data after the last column
        # (Ewe-Ece/V with a counter electrode): the data fill the names before the gap.
        warnings.warn(f"{where}: the header names {len(header)} columns, the rows hold "
                      f"{values.shape[1]}; dropped the names after the empty one at column "
                      f"{values.shape[1] + 1}: {', '.join(n for n in dropped if n)}", DataWarning,
                      stacklevel=2)
        header = header[:values.shape[1]]
    names = header_names("\t".join(header), delimiter="\t", n_data=values.shape[1], where=where)
    metadata = {"format": "biologic-mpt", "technique": lines[3].strip() if len(lines) > 3 else ""}
    return RawTable({n: values[:, i] for i, n in enumerate(names)}, where, metadata)
