"""Where points run: in this process, in a local process pool, or on Dask.

Every executor offers the same five calls: ``submit(task, resources)`` returns a handle,
``submit_many(tasks, resources)`` a list of them (Dask: one message to the scheduler),
``wait(handles, timeout)`` returns ``(handle, record or exception)`` for those that ended
(from a queue the finished ones join: no scan over all pending handles),
``running(handles)`` counts those that are executing now, and ``close()``. The driver
(:mod:`ssblab.sweep.run`) does the bookkeeping; the worker side is
:func:`ssblab.sweep.worker.execute_point`.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import queue
import threading
import time
from collections import deque

from ssblab.errors import InputError, require_package
from ssblab.sweep.spec import ExecutorSpec, parse_cluster
from ssblab.sweep.worker import execute_point, execute_text, pin_environment


class WorkerLost(RuntimeError):
    """The process running a point died (killed, out of memory); the point is run again."""


class InProcess:
    """Points run one after another in this process, when :meth:`wait` asks for them."""

    name = "inprocess"
    dashboard_link = None

    def __init__(self, spec: ExecutorSpec):
        self.queue: deque = deque()

    def submit(self, task, resources=None):
        handle = object()
        self.queue.append((handle, task))
        return handle

    def submit_many(self, tasks, resources):
        return [self.submit(t, r) for t, r in zip(tasks, resources)]

    def wait(self, handles, timeout=None):
        handle, task = self.queue.popleft()
        return [(handle, execute_point(task))]

    def running(self, handles) -> int:
        return 0

    def close(self, wait=True):
        self.queue.clear()


def _start_worker(threads: int) -> None:
    pin_environment(threads)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A pool worker whose driver died (SIGKILL, crash) stops within a second instead of
    idling forever; its unfinished point has no result.json and is run again on resume."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class Pool:
    """A local pool of worker processes (spawned: no state inherited from the driver).

    A worker that dies breaks the pool; the next :meth:`submit` starts a fresh pool.
    Resources are not scheduled here: a GPU point runs wherever it lands.
    """

    name = "pool"
    dashboard_link = None

    def __init__(self, spec: ExecutorSpec):
        self.workers = spec.workers or os.cpu_count() or 1
        self.threads = spec.threads_per_task
        self.pool = self._new_pool()
        self._ended: queue.SimpleQueue = queue.SimpleQueue()

    def _new_pool(self):
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(self.threads,))

    def submit(self, task, resources=None):
        try:
            future = self.pool.submit(execute_point, task)
        except concurrent.futures.process.BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            future = self.pool.submit(execute_point, task)
        future.add_done_callback(self._ended.put)
        return future

    def submit_many(self, tasks, resources):
        return [self.submit(t, r) for t, r in zip(tasks, resources)]

    def wait(self, handles, timeout=None):
        out = []
        for future in _drain(self._ended, timeout):
            error = future.exception()
            if isinstance(error, concurrent.futures.process.BrokenProcessPool):
                error = WorkerLost(f"a pool worker died ({error})")
            out.append((future, error if error is not None else future.result()))
        return out

    def running(self, handles) -> int:
        # the pool marks one more call than it has workers as running (its feed queue)
        return min(self.workers, sum(f.running() for f in handles))

    def close(self, wait=True):
        # after an error or Ctrl-C, do not wait for long points: a worker finishing one still
        # writes its result.json, which the next run adopts
        self.pool.shutdown(wait=wait, cancel_futures=True)


class Dask:
    """Dask distributed: a scheduler ``address``, a ``local:N`` cluster, or a given Client.

    A local cluster has N single-threaded worker processes (``OMP_NUM_THREADS`` and friends
    set to ``threads_per_task`` before they start) and ``worker_resources`` on each worker.
    Points that declare resources (``{"GPU": 1}``) go only to workers that have them.
    """

    name = "dask"

    def __init__(self, spec: ExecutorSpec, client=None):
        require_package("distributed", extra="sweep", purpose="Dask executors")
        import dask
        from distributed import Client, LocalCluster

        self.threads = spec.threads_per_task
        self.points_per_task = spec.points_per_task
        self._own = client is None
        self.cluster = None
        if client is not None:
            self.client = client
        elif spec.address:
            try:
                self.client = Client(spec.address, timeout="20s")
            except OSError as exc:
                raise InputError(f"executor.address: no Dask scheduler answers at "
                                 f"{spec.address!r} ({exc})") from None
        else:
            n = parse_cluster(spec.cluster) if spec.cluster else (spec.workers or os.cpu_count() or 1)
            environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}),
                       **{k: str(self.threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                         "OPENBLAS_NUM_THREADS")}}
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=":0",
                                            resources=dict(spec.worker_resources) or None)
            self.client = Client(self.cluster)
        self.dashboard_link = self.client.dashboard_link
        self._ended: queue.SimpleQueue = queue.SimpleQueue()
        self._sizes: dict = {}  # points in each pending task
        self._processing_at = 0.0
        self._processing: set = set()

    def submit(self, task, resources=None):
        return self.submit_many([task], [resources])[0]

    def submit_many(self, tasks, resources):
        """One ``client.map`` per distinct resource request: the scheduler gets one graph
        update for all of them instead of one message per point. Each Dask task carries
        ``points_per_task`` points; a point's handle is ``(future, its place in the task)``."""
        groups: dict = {}
        for i, r in enumerate(resources):
            groups.setdefault(tuple(sorted((r or {}).items())), []).append(i)
        handles: list = [None] * len(tasks)
        stamp = time.monotonic_ns()
        for request, index in groups.items():
            chunks = [index[k:k + self.points_per_task]
                      for k in range(0, len(index), self.points_per_task)]
            futures = self.client.map(
                execute_text, [json.dumps([tasks[i] for i in chunk]) for chunk in chunks],
                pure=False, resources=dict(request) or None,
                key=[f"ssblab-points-{tasks[chunk[0]]['key'][:16]}-{stamp}-{chunk[0]}"
                     for chunk in chunks])
            for chunk, future in zip(chunks, futures):
                self._sizes[future] = len(chunk)
                future.add_done_callback(self._ended.put)
                for place, i in enumerate(chunk):
                    handles[i] = (future, place)
        return handles

    def wait(self, handles, timeout=None):
        ended = _drain(self._ended, timeout)
        finished = [f for f in ended if f.status == "finished"]
        try:  # one gather for the whole batch: one round trip, not one per task
            results = dict(zip(finished, map(json.loads, self.client.gather(finished))))
        except Exception:  # noqa: BLE001  (a result lost meanwhile: ask one by one)
            results = {}
        out = []
        for future in ended:
            size = self._sizes.pop(future)
            if future not in results:
                error = future.exception() if future.status != "finished" else None
                if error is None:
                    try:
                        results[future] = json.loads(future.result())
                    except Exception as exc:  # noqa: BLE001  (its worker died meanwhile)
                        error = exc
                if error is not None:
                    lost = WorkerLost(f"Dask could not run the point: {error!r}")
                    out.extend(((future, place), lost) for place in range(size))
                    continue
            out.extend(((future, place), record) for place, record in enumerate(results[future]))
        return out

    def running(self, handles) -> int:
        # asking the scheduler costs a round trip: at most twice a second
        if time.monotonic() - self._processing_at > 0.5:
            processing = self.client.processing()
            self._processing = {k for keys in processing.values() for k in keys}
            self._processing_at = time.monotonic()
        return sum(future.key in self._processing for future, _ in handles)

    def close(self, wait=True):
        if self._own:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def _drain(ended: queue.SimpleQueue, timeout) -> list:
    """What joined ``ended``: waits up to ``timeout`` s for the first, takes the rest that
    are there."""
    try:
        batch = [ended.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            batch.append(ended.get_nowait())
        except queue.Empty:
            return batch


def make_executor(spec: ExecutorSpec, client=None):
    if client is not None or spec.kind == "dask":
        return Dask(spec, client)
    return {"inprocess": InProcess, "pool": Pool}[spec.kind](spec)
