"""The tidy table every cycler reader returns and every cell-test analysis consumes.

Columns are NumPy arrays of equal length, one row per recorded point:

- ``time_s``: test time from the start of the file, non-decreasing;
- ``voltage_V``: cell voltage (working minus counter electrode);
- ``current_mA``: positive while charging (oxidation at the working electrode), negative
  while discharging, zero at rest;
- ``step``: the instrument's step (or sequence) index, int;
- ``cycle``: the cycle index, int, counted as ``cycle_definition`` says;
- ``extra``: any further columns the file had (e.g. ``capacity_mAh`` as the instrument
  reported it, ``temperature_C``), under unit-suffixed names.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal, get_args

import numpy as np

from ssblab.errors import InputError
from ssblab.results import Result

CycleDefinition = Literal["file", "charge-first", "discharge-first"]
CYCLE_DEFINITIONS = get_args(CycleDefinition)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CyclerData(Result):
    """A cycler file as one tidy table (see the module docstring for the columns).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(4.0)
    >>> d = CyclerData(time_s=t, voltage_V=np.full(4, 3.7), current_mA=np.array([1, 1, -1, -1.]),
    ...                step=np.array([1, 1, 2, 2]), cycle=np.array([1, 1, 1, 1]))
    >>> d.n_rows
    4
    """

    time_s: np.ndarray
    voltage_V: np.ndarray
    current_mA: np.ndarray
    step: np.ndarray
    cycle: np.ndarray
    extra: dict = dataclasses.field(default_factory=dict)
    source: str = ""
    cycle_definition: CycleDefinition = "file"
    metadata: dict = dataclasses.field(default_factory=dict, compare=False)

    title: ClassVar[str] = "Cycler data"
    columns: ClassVar[tuple[str, ...]] = ("time_s", "voltage_V", "current_mA", "step", "cycle")

    def __post_init__(self):
        where = self.source or "cycler data"
        n = np.asarray(self.time_s).shape[0] if np.ndim(self.time_s) == 1 else -1
        if n < 1:
            raise InputError(f"{where}: expected a 1-D, non-empty time_s column")
        for name in self.columns:
            dtype = int if name in ("step", "cycle") else float
            column = np.asarray(getattr(self, name), dtype=dtype)
            if column.shape != (n,):
                raise InputError(f"{where}: column {name} has shape {column.shape}, expected ({n},)")
            column.flags.writeable = False
            object.__setattr__(self, name, column)

    @property
    def n_rows(self) -> int:
        return self.time_s.size

    def summary(self):
        hours = (self.time_s[-1] - self.time_s[0]) / 3600
        return [("source", self.source or "-"), ("rows", self.n_rows),
                ("cycles", int(np.unique(self.cycle).size)), ("duration / h", float(hours)),
                ("cycle definition", self.cycle_definition)]

    def _draw(self, ax, **kwargs):
        ax.plot(self.time_s / 3600, self.voltage_V, lw=0.8)
        ax.set_xlabel("time / h")
        ax.set_ylabel("voltage / V")
