"""What runs on a worker: one point, in its run directory, with pinned threads.

:func:`execute_point` never raises for a failing study: it returns a record with
``status="failed"`` and the traceback, so one bad point does not stop the others. A point
whose run directory already holds a finished result with the same key returns that result
(``cached=True``) without running, which makes a re-executed task harmless (a Dask worker
lost after finishing, or a driver restarted).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import secrets
import shutil
import socket
import sys
import time
import traceback
from pathlib import Path

from ssblab.files import atomic_write
from ssblab.sweep.store import dump_result, encode_outputs, now_utc, read_result

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def pin_environment(threads: int) -> dict[str, str]:
    """Thread-count variables for a worker process, read by BLAS, OpenMP and torch at import."""
    values = {name: str(threads) for name in THREAD_VARIABLES}
    os.environ.update(values)
    return values


@contextlib.contextmanager
def pinned_threads(threads: int):
    """At most ``threads`` BLAS/OpenMP threads (threadpoolctl) and torch threads inside."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    controller = _controller()
    # limiting costs a query and two calls per library: only when a count differs
    limit = controller is not None and any(lib.num_threads != threads
                                           for lib in controller.lib_controllers)
    with controller.limit(limits=threads) if limit else contextlib.nullcontext():
        if torch is not None:
            torch.set_num_threads(threads)
        # ssblab's own thread pools (the voxel solver's) read the count from OMP_NUM_THREADS
        omp_before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            yield
        finally:
            if before is not None:
                torch.set_num_threads(before)
            if omp_before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = omp_before


_CONTROLLER: list = [-1, None]  # (len(sys.modules) when made, the controller)


def _controller():
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries, made again when modules were
    imported since (a point may load torch or another BLAS); None without threadpoolctl (the
    environment variables set at worker start still hold)."""
    if _CONTROLLER[0] != len(sys.modules):
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return None
        _CONTROLLER[:] = [len(sys.modules), ThreadpoolController()]
    return _CONTROLLER[1]


@functools.cache
def versions(packages=()) -> dict[str, str]:
    """Versions of Python, ssblab, NumPy and the study's packages that are installed."""
    from importlib.metadata import PackageNotFoundError, version

    import numpy

    import ssblab

    out = {"python": platform.python_version(), "ssblab": ssblab.__version__,
           "numpy": numpy.__version__}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


_WHO: dict[int, str] = {}


def _who() -> str:
    """host:pid of this worker (per pid: a forked process is another worker)."""
    pid = os.getpid()
    if pid not in _WHO:
        _WHO[pid] = f"{socket.gethostname()}:{pid}"
    return _WHO[pid]


def _line(text: str) -> str:
    return f"{now_utc()} {_who()} {text}\n"


def _append_log(run_dir: Path, lines: str) -> None:
    with open(run_dir / "log.txt", "a", encoding="utf-8") as fh:
        fh.write(lines)


def execute_point(task: dict) -> dict:
    """Run one point described by ``task`` (see :func:`ssblab.sweep.run.make_task`).

    A point of a study without files of its own is written when it ends, in one pass: its
    run directory is filled in a hidden staging folder and renamed into place, so a run
    directory is never half written and a point killed while running leaves nothing. It holds
    ``result.json`` and ``log.txt`` (or, after a failure, ``inputs.json``, ``error.txt`` and
    ``log.txt``). A study that keeps files (``run_dir=True``: checkpoints) and a point tried
    before work in place, with ``inputs.json`` written when the point starts.
    """
    from ssblab.sweep.registry import get_study

    run_dir = Path(task["run_dir"])
    existed = run_dir.is_dir()
    if existed and not task.get("recompute"):
        done = read_result(run_dir)
        if done is not None and done.get("key") == task["key"] and done.get("status") == "done":
            return {**done, "cached": True, "attempts": 0}
    study = get_study(task["study"])
    base = {k: task[k] for k in ("key", "study", "study_version", "params", "seed", "replicate",
                                 "input_hashes", "run_dir")}
    base["versions"] = dict(versions(study.packages))
    base["worker"] = _who()
    in_place = study.run_dir or existed
    start = _line("start")
    if in_place:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(run_dir / "inputs.json", json.dumps(base, indent=1), fsync=False)
        _append_log(run_dir, start)
    started, t0 = now_utc(), time.perf_counter()
    kwargs = dict(task["params"], rng=task["seed"])
    if study.run_dir:
        kwargs["run_dir"] = run_dir
    try:
        with pinned_threads(task["threads"]):
            outputs = study.func(**kwargs)
        missing = [name for name in study.outputs if name not in outputs]
        if missing:
            raise RuntimeError(f"study {study.name} returned no {missing}")
        record = {**base, "status": "done", "outputs": encode_outputs(dict(outputs)),
                  "error": None}
    except Exception:  # noqa: BLE001  (a failed point is data: recorded, the sweep goes on)
        record = {**base, "status": "failed", "outputs": None, "error": traceback.format_exc()}
    record.update(started_utc=started, finished_utc=now_utc(),
                  duration_s=time.perf_counter() - t0)
    ok = record["status"] == "done"
    end = _line("finished" if ok else "failed: " + record["error"].strip().splitlines()[-1])
    # result.json holds all that inputs.json would, and each new file costs time (1-2 ms on
    # a busy disk): a point that finished at its first try has no inputs.json
    files = ({"result.json": dump_result(record)} if ok
             else {"inputs.json": json.dumps(base, indent=1), "error.txt": record["error"]})
    if not in_place and _publish(run_dir, {**files, "log.txt": start + end}):
        return {**record, "cached": False, "attempts": 1}
    if in_place:
        files.pop("inputs.json", None)  # written when the point started
    else:  # another execution of this point made the folder meanwhile
        end = start + end
    for name, text in files.items():
        atomic_write(run_dir / name, text, fsync=False)
    if ok:
        (run_dir / "error.txt").unlink(missing_ok=True)
    _append_log(run_dir, end)
    return {**record, "cached": False, "attempts": 1}


def execute_text(tasks: str) -> str:
    """:func:`execute_point` on a JSON list of tasks, returning the JSON list of their records.

    Plain JSON text each way: Dask passes one string instead of walking nested dicts into
    its graph and sizing them (several ms per point on a busy machine), and one task may
    carry several cheap points.
    """
    return json.dumps([execute_point(task) for task in json.loads(tasks)])


def _publish(run_dir: Path, files: dict[str, str]) -> bool:
    """Write ``files`` into a new ``run_dir`` as one rename of a staging folder; False (and
    nothing written) when ``run_dir`` exists by then."""
    while True:  # a fresh name (mkdir, unlike mkdtemp, gives the umask's permissions)
        stage = run_dir.parent / f".{run_dir.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            os.mkdir(stage)
            break
        except FileExistsError:
            continue
    try:
        for name, text in files.items():
            with open(stage / name, "w", encoding="utf-8") as fh:
                fh.write(text)
        os.rename(stage, run_dir)
        return True
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(exc, OSError) and run_dir.is_dir():
            return False
        raise
