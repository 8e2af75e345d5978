"""A sweep specification: which registered study, over which points, with which seeds.

A spec is plain data (a YAML file or a dict)::

    name: density-series              # names the sweep in the run store
    study: microstructure.density     # a name from ssblab.sweep.REGISTRY, never a module
    grid:                             # the Cartesian product of these lists
      relative_density: [0.6, 0.7, 0.8, 0.9]
    points:                           # and/or explicit points (each a dict)
      - {relative_density: 0.95, packing: sintered}
    fixed:                            # the same for every point; quantities carry units
      bulk_S_cm: "4.4 mS/cm"
    seed: {base: 0, policy: per_point, replicates: 1}
    record: [sigma_eff_S_cm, tortuosity_factor]   # outputs kept in the table (default: all)
    executor: {kind: pool, workers: 2, threads_per_task: 1, retries: 1}
    store: ssblab-runs                # default: $SSBLAB_STORE, else ./ssblab-runs

Seed policies: ``per_point`` draws each point's seed from the base seed and the point's
parameters (so adding points never changes the others' seeds); ``same`` gives every point
the base seed (common random numbers, e.g. one microstructure family over a grid).
``replicates: n`` runs every point n times with seeds that also depend on the replicate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ssblab.errors import InputError, check_choice, require_package
from ssblab.sweep.registry import Study, get_study

SEED_POLICIES = ("per_point", "same")
EXECUTORS = ("inprocess", "pool", "dask")
_TOP_KEYS = ("name", "study", "grid", "points", "fixed", "seed", "record", "executor", "store",
             "description")
_EXECUTOR_KEYS = ("kind", "workers", "threads_per_task", "retries", "address", "cluster",
                  "worker_resources", "points_per_task")


@dataclasses.dataclass(frozen=True)
class ExecutorSpec:
    """Where points run: ``inprocess``, a local process ``pool`` or ``dask``.

    Dask connects to ``address`` (``tcp://host:8786``) or starts ``cluster: local:N``.
    ``threads_per_task`` caps BLAS/OpenMP/torch threads inside each point. ``retries`` is how
    many times a failed point is tried again in one run. ``worker_resources`` (e.g. ``{GPU: 1}``)
    are given to the workers of a local Dask cluster. ``points_per_task`` sends that many
    points as one Dask task (for many cheap points; the pool and in-process run one by one).
    """

    kind: str = "pool"
    workers: int | None = None
    threads_per_task: int = 1
    retries: int = 0
    address: str | None = None
    cluster: str | None = None
    worker_resources: Mapping[str, float] = dataclasses.field(default_factory=dict)
    points_per_task: int = 1


@dataclasses.dataclass(frozen=True)
class Point:
    """One run of the study: all its parameters (in their units), its seed and replicate."""

    index: int
    params: dict
    seed: int
    replicate: int = 0


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    name: str
    study: str
    grid: Mapping[str, list] = dataclasses.field(default_factory=dict)
    points: tuple = ()
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    seed_base: int = 0
    seed_policy: str = "per_point"
    replicates: int = 1
    record: tuple = ()
    executor: ExecutorSpec = ExecutorSpec()
    store: str = "ssblab-runs"
    description: str = ""

    def study_object(self) -> Study:
        return get_study(self.study)

    def expand(self) -> list[Point]:
        """Every point of the sweep, parameters converted to their units, seeds assigned."""
        study = self.study_object()
        combos: list[dict] = []
        if self.grid:
            names = list(self.grid)
            combos += [dict(zip(names, values))
                       for values in itertools.product(*(self.grid[n] for n in names))]
        combos += [dict(p) for p in self.points]
        if not combos:
            combos = [{}]
        out, seen = [], set()
        for values in combos:
            where = "grid" if not self.points else "points"
            params = study.resolve({**self.fixed, **values}, where)
            for rep in range(self.replicates):
                canonical = canonical_json(params)
                if (canonical, rep) in seen:
                    continue
                seen.add((canonical, rep))
                out.append(Point(index=len(out), params=params, replicate=rep,
                                 seed=self._seed(canonical, rep)))
        return out

    def _seed(self, canonical: str, replicate: int) -> int:
        if self.seed_policy == "same":
            return self.seed_base + replicate
        digest = hashlib.sha256(f"{self.seed_base}|{canonical}|{replicate}".encode()).digest()
        return int.from_bytes(digest[:4], "little")

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["points"] = list(self.points)
        data["record"] = list(self.record)
        return data


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def load_spec(source: str | Path | Mapping[str, Any], **overrides) -> SweepSpec:
    """A :class:`SweepSpec` from a YAML file, a shipped spec's name or a dict.

    ``overrides`` replace top-level keys (``store=``, ``executor=``...). Every field is
    checked; an error names the file and the field.
    """
    where = "spec"
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        path = _find_spec(source)
        where = str(path)
        yaml = require_package("yaml", extra="sweep", purpose="reading sweep specs")

        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: not valid YAML ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a mapping of spec fields, found "
                             f"{type(data).__name__}")
    data.update({k: v for k, v in overrides.items() if v is not None})
    for key in data:
        check_choice(str(key), _TOP_KEYS, name=f"{where}: field")
    if "study" not in data:
        raise InputError(f"{where}: field 'study' is missing (a name such as "
                         "'microstructure.density'; `ssblab sweep studies` lists them)")
    study = get_study(data["study"]).name
    grid = _mapping(data.get("grid"), f"{where}: grid")
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise InputError(f"{where}: grid.{name}: expected a non-empty list, found {values!r}")
    points = data.get("points") or []
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise InputError(f"{where}: points: expected a list of mappings, found {points!r}")
    seed = data.get("seed", {})
    if isinstance(seed, int) and not isinstance(seed, bool):
        seed = {"base": seed}
    seed = _mapping(seed, f"{where}: seed")
    for key in seed:
        check_choice(str(key), ("base", "policy", "replicates"), name=f"{where}: seed field")
    record = data.get("record") or []
    if not isinstance(record, list):
        raise InputError(f"{where}: record: expected a list of output names, found {record!r}")
    outputs = tuple(get_study(study).outputs)
    for name in record:
        check_choice(str(name), outputs, name=f"{where}: record")
    spec = SweepSpec(
        name=str(data.get("name") or study), study=study, grid=grid, points=tuple(points),
        fixed=_mapping(data.get("fixed"), f"{where}: fixed"),
        seed_base=_int(seed.get("base", 0), f"{where}: seed.base"),
        seed_policy=check_choice(str(seed.get("policy", "per_point")), SEED_POLICIES,
                                 name=f"{where}: seed.policy"),
        replicates=_int(seed.get("replicates", 1), f"{where}: seed.replicates", minimum=1),
        record=tuple(record), executor=_executor(data.get("executor"), f"{where}: executor"),
        store=str(data.get("store") or os.environ.get("SSBLAB_STORE", "ssblab-runs")),
        description=str(data.get("description") or ""))
    try:
        spec.expand()  # converts every value now, so a bad one is reported before anything runs
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return spec


def _find_spec(source) -> Path:
    path = Path(source)
    if path.is_file():
        return path
    if path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        raise InputError(f"spec {source}: no such file")
    shipped = Path(__file__).parent / "specs" / f"{source}.yaml"
    if shipped.exists():
        return shipped
    names = tuple(p.stem for p in (Path(__file__).parent / "specs").glob("*.yaml"))
    check_choice(str(source), names, name="spec (a YAML file or a shipped spec)")
    raise AssertionError  # check_choice raised


def shipped_specs() -> list[str]:
    """Names of the specs shipped with ssblab (``ssblab sweep run NAME`` runs one)."""
    return sorted(p.stem for p in (Path(__file__).parent / "specs").glob("*.yaml"))


def _mapping(value, where) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: expected a mapping, found {value!r}")
    return dict(value)


def _int(value, where, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{where}: expected an integer >= {minimum}, found {value!r}")
    return value


def _executor(value, where) -> ExecutorSpec:
    if isinstance(value, str):
        value = {"kind": value}
    data = _mapping(value, where)
    for key in data:
        check_choice(str(key), _EXECUTOR_KEYS, name=f"{where} field")
    kind = check_choice(str(data.get("kind", "dask" if data.get("address") or data.get("cluster")
                                       else "pool")), EXECUTORS, name=f"{where}.kind")
    workers = data.get("workers")
    if workers is not None:
        workers = _int(workers, f"{where}.workers", minimum=1)
    cluster = data.get("cluster")
    if cluster is not None:
        parse_cluster(cluster, f"{where}.cluster")
    resources = _mapping(data.get("worker_resources"), f"{where}.worker_resources")
    return ExecutorSpec(kind=kind, workers=workers,
                        threads_per_task=_int(data.get("threads_per_task", 1),
                                              f"{where}.threads_per_task", minimum=1),
                        retries=_int(data.get("retries", 0), f"{where}.retries"),
                        address=data.get("address"), cluster=cluster,
                        worker_resources={str(k): float(v) for k, v in resources.items()},
                        points_per_task=_int(data.get("points_per_task", 1),
                                             f"{where}.points_per_task", minimum=1))


def parse_cluster(text: str, where: str = "--cluster") -> int:
    """``"local:4"`` -> 4 workers of a local Dask cluster."""
    kind, _, n = str(text).partition(":")
    if kind != "local" or not n.isdigit() or int(n) < 1:
        raise InputError(f"{where}: expected local:N with N >= 1 workers, found {text!r}")
    return int(n)
