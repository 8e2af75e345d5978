"""Where points run: in this process, in a local process pool, or on Dask.

Every executor offers the same four calls: ``submit(task, resources)`` returns a handle,
``wait(handles, timeout)`` returns ``(handle, record or exception)`` for those that ended,
``running(handles)`` counts those that are executing now, and ``close()``. The driver
(:mod:`ssblab.sweep.run`) does the bookkeeping; the worker side is
:func:`ssblab.sweep.worker.execute_point`.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
import time
from collections import deque

from ssblab.errors import InputError, require_package
from ssblab.sweep.spec import ExecutorSpec, parse_cluster
from ssblab.sweep.worker import execute_point, pin_environment


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

    def _new_pool(self):
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(self.threads,))

    def submit(self, task, resources=None):
        try:
            return self.pool.submit(execute_point, task)
        except concurrent.futures.process.BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            return self.pool.submit(execute_point, task)

    def wait(self, handles, timeout=None):
        done, _ = concurrent.futures.wait(handles, timeout=timeout,
                                          return_when=concurrent.futures.FIRST_COMPLETED)
        out = []
        for future in done:
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
        from distributed import as_completed

        self.dashboard_link = self.client.dashboard_link
        self._completed = as_completed()
        self._processing_at = 0.0
        self._processing: set = set()

    def submit(self, task, resources=None):
        future = self.client.submit(execute_point, task, pure=False, resources=resources or None,
                                    key=f"ssblab-point-{task['key'][:16]}-{time.monotonic_ns()}")
        self._completed.add(future)
        return future

    def wait(self, handles, timeout=None):
        # as_completed keeps the finished futures for us: no scan over all pending ones
        end = time.monotonic() + (timeout or 0.0)
        while not self._completed.has_ready() and time.monotonic() < end:
            time.sleep(0.01)
        if not self._completed.has_ready():
            return []
        out = []
        for future in self._completed.next_batch(block=False):
            if future.status == "finished":
                out.append((future, future.result()))
            else:
                error = future.exception()
                out.append((future, WorkerLost(f"Dask could not run the point: {error!r}")))
        return out

    def running(self, handles) -> int:
        # asking the scheduler costs a round trip: at most twice a second
        if time.monotonic() - self._processing_at > 0.5:
            processing = self.client.processing()
            self._processing = {k for keys in processing.values() for k in keys}
            self._processing_at = time.monotonic()
        return sum(f.key in self._processing for f in handles)

    def close(self, wait=True):
        if self._own:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def make_executor(spec: ExecutorSpec, client=None):
    if client is not None or spec.kind == "dask":
        return Dask(spec, client)
    return {"inprocess": InProcess, "pool": Pool}[spec.kind](spec)
