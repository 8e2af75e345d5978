"""The run store: one run directory per point plus an SQLite index for queries.

Layout under the store root::

    index.sqlite                 the index (only the driver writes it)
    runs/<key>/result.json       inputs, outputs and provenance, written when the point ends
    runs/<key>/inputs.json       study, parameters (in their units), seed, versions, hashes:
                                 a point that failed, or that works in its folder from its start
    runs/<key>/error.txt         the traceback of the last failure
    runs/<key>/log.txt           one line per start, finish and failure (who, when)
    runs/<key>/...               the study's own files (e.g. md/ with its checkpoints)
    sweeps/<name>/               table.csv, result.json, report.html of each sweep

``key`` is the SHA-256 of the study name and version, the parameters and the seed: a point
with unchanged inputs has the same key, hence the same directory, and is not run again.
Workers only write run directories; the driver copies what they return into the index, and
on a restart first adopts any result a worker finished after the driver died.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ssblab.errors import InputError, require_package
from ssblab.results import Measured

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY, study TEXT NOT NULL, study_version INTEGER NOT NULL,
    params TEXT NOT NULL, seed INTEGER NOT NULL, replicate INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL, outputs TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    input_hashes TEXT, versions TEXT, worker TEXT, started_utc TEXT, finished_utc TEXT,
    duration_s REAL, run_dir TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
    name TEXT PRIMARY KEY, study TEXT NOT NULL, spec TEXT NOT NULL, created_utc TEXT,
    updated_utc TEXT);
CREATE TABLE IF NOT EXISTS sweep_points (
    sweep TEXT NOT NULL, point INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY (sweep, point));
CREATE TABLE IF NOT EXISTS invocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sweep TEXT NOT NULL, started_utc TEXT,
    finished_utc TEXT, executor TEXT, done INTEGER, failed INTEGER, cached INTEGER,
    computed INTEGER, retried INTEGER);
CREATE INDEX IF NOT EXISTS runs_study ON runs (study);
"""
STATUSES = ("done", "failed", "running")
_RUN_COLUMNS = ("key", "study", "study_version", "params", "seed", "replicate", "status",
                "outputs", "error", "attempts", "input_hashes", "versions", "worker",
                "started_utc", "finished_utc", "duration_s", "run_dir")
_UPSERT_RUN = (
    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))}) "
    "ON CONFLICT(key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _RUN_COLUMNS[1:] if c != "attempts")
    + ", attempts = runs.attempts + excluded.attempts")


def now_utc() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def encode_outputs(outputs: dict) -> dict:
    """Outputs as JSON values: a Measured becomes ``{"value", "stderr", "unit"}``."""
    out = {}
    for name, value in outputs.items():
        if isinstance(value, Measured):
            out[name] = {"value": float(value.value), "stderr": float(value.stderr),
                         "unit": value.unit}
        elif hasattr(value, "item"):
            out[name] = value.item()
        else:
            out[name] = value
    return out


class RunStore:
    """A store root: run directories and the index. Opening creates it if needed."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"store {self.root}: expected a folder, found a file")
        (self.root / "runs").mkdir(parents=True, exist_ok=True)
        self._runs = (self.root / "runs").resolve()  # once: workers get absolute run dirs
        self._db = sqlite3.connect(self.root / "index.sqlite", timeout=30)
        self._db.row_factory = sqlite3.Row
        # WAL without a sync per commit: a crash may lose the last index rows, never the
        # results, which the run directories hold and finished() adopts again
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._db:
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                             (str(SCHEMA_VERSION),))

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run_dir(self, key: str) -> Path:
        """The absolute run directory of ``key`` (workers may run in another folder)."""
        return self._runs / key

    # --- writing (driver only) -----------------------------------------------------------
    def record_sweep(self, name: str, study: str, spec: dict, keys: list[str]) -> None:
        stamp = now_utc()
        with self._db:
            self._db.execute(
                "INSERT INTO sweeps VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "study = excluded.study, spec = excluded.spec, updated_utc = excluded.updated_utc",
                (name, study, json.dumps(spec), stamp, stamp))
            self._db.execute("DELETE FROM sweep_points WHERE sweep = ?", (name,))
            self._db.executemany("INSERT INTO sweep_points VALUES (?, ?, ?)",
                                 [(name, i, k) for i, k in enumerate(keys)])

    def record_run(self, record: dict) -> None:
        """Insert or update one run from the record a worker returned (or a run directory)."""
        self.record_runs([record])

    def record_runs(self, records: Iterable[dict]) -> None:
        """Insert or update runs in one transaction, in order (a failed attempt, then its
        retry's success, leaves the success with both attempts counted)."""
        rows = []
        for record in records:
            row = dict(record)
            for name in ("params", "outputs", "input_hashes", "versions"):
                if row.get(name) is not None and not isinstance(row[name], str):
                    row[name] = json.dumps(row[name])
            rows.append([row.get(c) for c in _RUN_COLUMNS])
        if not rows:
            return
        with self._db:
            self._db.executemany(_UPSERT_RUN, rows)

    def record_invocation(self, sweep: str, started: str, executor: str, counts: dict) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO invocations (sweep, started_utc, finished_utc, executor, done, "
                "failed, cached, computed, retried) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sweep, started, now_utc(), executor, counts["done"], counts["failed"],
                 counts["cached"], counts["computed"], counts["retried"]))

    # --- reading -------------------------------------------------------------------------
    def finished(self, keys: Iterable[str]) -> dict[str, dict]:
        """Records of the given keys that are done, from the index or, failing that, from a
        run directory whose ``result.json`` a worker wrote after the driver died."""
        keys = list(keys)
        found = {}
        for chunk in range(0, len(keys), 500):
            part = keys[chunk:chunk + 500]
            rows = self._db.execute(
                f"SELECT * FROM runs WHERE status = 'done' AND key IN ({','.join('?' * len(part))})",
                part).fetchall()
            found.update({r["key"]: _row_dict(r) for r in rows})
        existing = {entry.name for entry in os.scandir(self._runs)}
        adopted = []
        for key in keys:
            if key not in found and key in existing:
                record = read_result(self.run_dir(key))
                if record is not None and record.get("key") == key and record.get("status") == "done":
                    record["attempts"] = 0
                    adopted.append(record)
                    found[key] = record
        self.record_runs(adopted)
        return found

    def rows(self, *, sweep: str | None = None, study: str | None = None,
             status: str | None = None, keys: Iterable[str] | None = None) -> list[dict]:
        sql, args = "SELECT runs.* FROM runs", []
        where = []
        if sweep is not None:
            if not self._db.execute("SELECT 1 FROM sweeps WHERE name = ?", (sweep,)).fetchone():
                names = [r[0] for r in self._db.execute("SELECT name FROM sweeps")]
                from ssblab.errors import check_choice

                check_choice(sweep, names, name=f"store {self.root}: sweep")
            sql = ("SELECT runs.*, sweep_points.point FROM sweep_points JOIN runs "
                   "ON runs.key = sweep_points.key")
            where.append("sweep_points.sweep = ?")
            args.append(sweep)
        if study is not None:
            where.append("runs.study = ?")
            args.append(study)
        if status is not None:
            where.append("runs.status = ?")
            args.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY " + ("sweep_points.point" if sweep is not None else "runs.finished_utc")
        rows = [_row_dict(r) for r in self._db.execute(sql, args)]
        if keys is not None:
            wanted = set(keys)
            rows = [r for r in rows if r["key"] in wanted]
        return rows

    def get(self, key_or_prefix: str) -> dict:
        rows = self._db.execute("SELECT * FROM runs WHERE key LIKE ?",
                                (key_or_prefix + "%",)).fetchall()
        if len(rows) != 1:
            raise InputError(f"store {self.root}: run {key_or_prefix!r}: "
                             f"{'no run has' if not rows else f'{len(rows)} runs have'} that key")
        return _row_dict(rows[0])

    def sweeps(self) -> list[dict]:
        rows = self._db.execute(
            "SELECT s.name, s.study, s.updated_utc, COUNT(p.key) AS points, "
            "SUM(r.status = 'done') AS done, SUM(r.status = 'failed') AS failed "
            "FROM sweeps s LEFT JOIN sweep_points p ON p.sweep = s.name "
            "LEFT JOIN runs r ON r.key = p.key GROUP BY s.name ORDER BY s.updated_utc").fetchall()
        return [dict(r) for r in rows]

    def invocations(self, sweep: str) -> list[dict]:
        return [dict(r) for r in self._db.execute(
            "SELECT * FROM invocations WHERE sweep = ? ORDER BY id", (sweep,))]


def _row_dict(row) -> dict:
    out = dict(row)
    for name in ("params", "outputs", "input_hashes", "versions"):
        if out.get(name):
            out[name] = json.loads(out[name])
    return out


def read_result(run_dir: Path) -> dict | None:
    """The record in a run directory's ``result.json``, or None when the point never finished."""
    try:
        return json.loads((run_dir / "result.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def dump_result(record: dict) -> str:
    """The text of a ``result.json``. Never fsync'ed: after a power cut an empty or missing
    file reads as "not finished" (:func:`read_result`), so the point runs again."""
    return json.dumps(record, indent=1)


def table(rows: list[dict], *, outputs: Iterable[str] | None = None):
    """Flatten index rows into a pandas DataFrame: parameters and outputs as columns.

    A Measured output ``x`` gives columns ``x`` and ``x_stderr``.
    """
    require_package("pandas", extra="sweep", purpose="run tables")
    import pandas as pd

    wanted = None if outputs is None else set(outputs)
    flat = []
    for r in rows:
        row: dict[str, Any] = {"key": r["key"][:12], "study": r["study"]}
        if "point" in r:
            row["point"] = r["point"]
        row.update(r.get("params") or {})
        row.update(seed=r["seed"], replicate=r["replicate"], status=r["status"])
        for name, value in (r.get("outputs") or {}).items():
            if wanted is not None and name not in wanted:
                continue
            if isinstance(value, dict) and "value" in value:
                row[name] = value["value"]
                row[f"{name}_stderr"] = value["stderr"]
            else:
                row[name] = value
        row.update(error=(r.get("error") or "").strip().splitlines()[-1:][0]
                   if r.get("error") else "",
                   attempts=r["attempts"], duration_s=r["duration_s"],
                   finished_utc=r["finished_utc"], worker=r["worker"],
                   ssblab=(r.get("versions") or {}).get("ssblab"), run_dir=r["run_dir"])
        flat.append(row)
    return pd.DataFrame(flat)


def query(store: str | os.PathLike = "ssblab-runs", *, sweep: str | None = None,
          study: str | None = None, status: str | None = None, **params):
    """Runs of a store as a table (pandas DataFrame), filtered by sweep, study, status and
    parameter values (``temperature_K=600.0``).

    Examples
    --------
    >>> import tempfile
    >>> from ssblab.sweep import run_sweep
    >>> spec = {"study": "synthetic.arrhenius", "grid": {"temperature_K": [300, 400]},
    ...         "executor": "inprocess", "store": tempfile.mkdtemp()}
    >>> result = run_sweep(spec, progress=False)
    >>> t = query(spec["store"], study="synthetic.arrhenius", temperature_K=400.0)
    >>> t["sigma_S_cm"].round(6).tolist()
    [0.041506]
    """
    root = Path(store)
    if not (root / "index.sqlite").exists():
        raise InputError(f"store {root}: no index.sqlite there (not a run store)")
    if status is not None:
        from ssblab.errors import check_choice

        check_choice(status, STATUSES, name="status")
    with RunStore(root) as s:
        rows = s.rows(sweep=sweep, study=study, status=status)
    rows = [r for r in rows if all(r["params"].get(k) == v for k, v in params.items())]
    return table(rows)
