"""The one time-stepper base, after ASE's ``Dynamics``: subclasses implement ``step()``.

``run(steps)`` advances, ``irun(steps)`` yields after every step, ``attach(fn, interval)``
calls an observer every ``interval`` steps (and, unless the subclass sets
``observe_initial = False``, once before the first step). A subclass sets
``self.stop_reason`` to end a run early (e.g. a short circuit). Used by the phase-field
simulator (``dendrite``) and the MD driver (``atomistic``).

Examples
--------
>>> class Counter(Dynamics):
...     value = 0
...     def step(self):
...         self.value += 1
>>> seen = []
>>> counter = Counter()
>>> counter.attach(lambda: seen.append(counter.value), interval=2)
>>> _ = counter.run(5)
>>> seen
[0, 2, 4]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import ClassVar

from ssblab.errors import ConvergenceError, InputError
from ssblab.progress import progress


class Dynamics:
    """Base of ssblab time-steppers: ``step()`` in the subclass, observers and loops here."""

    observe_initial: ClassVar[bool] = True

    def __init__(self):
        self.nsteps = 0
        self.stop_reason = ""
        self.observers: list[tuple[Callable, int, tuple, dict]] = []

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def attach(self, function: Callable, interval: int = 1, *args, **kwargs) -> None:
        """Call ``function(*args, **kwargs)`` every ``interval`` steps."""
        if int(interval) < 1:
            raise InputError(f"attach interval: expected an integer >= 1, found {interval}")
        self.observers.append((function, int(interval), args, kwargs))

    def call_observers(self) -> None:
        for function, interval, args, kwargs in self.observers:
            if self.nsteps % interval == 0:
                function(*args, **kwargs)

    def irun(self, steps: int, *, desc: str = "") -> Iterator[int]:
        """Advance up to ``steps`` steps, yielding the step count after each; stops early on
        ``stop_reason``. With ``desc`` a progress bar shows (when someone is watching)."""
        if steps < 0:
            raise InputError(f"steps: expected >= 0, found {steps}")
        if self.nsteps == 0 and self.observe_initial:
            self.call_observers()
        counter = range(int(steps))
        for _ in progress(counter, total=int(steps), desc=desc) if desc else counter:
            if self.stop_reason:
                break
            self.step()
            self.nsteps += 1
            self.call_observers()
            yield self.nsteps

    def run(self, steps: int, *, desc: str = ""):
        """Advance up to ``steps`` steps; return self."""
        for _ in self.irun(steps, desc=desc):
            pass
        return self


def check_state(where: str, step: int, **quantities) -> None:
    """Stop a time-stepper whose state diverged, before anything of it is saved.

    Each keyword is ``name=array`` (must be finite) or ``name=(array, low, high)`` (finite and
    within ``[low, high]``). One pass of ``min``/``max`` per array (NaN propagates through
    both), so the check is cheap enough for every step.

    Examples
    --------
    >>> import numpy as np
    >>> check_state("demo", 3, xi=(np.array([0.0, 1.0]), -1.0, 2.0))
    >>> check_state("demo", 4, xi=(np.array([0.0, np.nan]), -1.0, 2.0))
    Traceback (most recent call last):
    ...
    ssblab.errors.ConvergenceError: demo diverged at step 4: xi is not finite (min nan, max nan); ...
    """
    import numpy as np

    for name, value in quantities.items():
        array, low, high = value if isinstance(value, tuple) else (value, -math.inf, math.inf)
        array = np.asarray(array)
        lo, hi = float(np.min(array)), float(np.max(array))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            problem = f"{name} is not finite (min {lo:.4g}, max {hi:.4g})"
        elif lo < low or hi > high:
            problem = f"{name} left [{low:g}, {high:g}] (min {lo:.4g}, max {hi:.4g})"
        else:
            continue
        raise ConvergenceError(f"{where} diverged at step {step}: {problem}; no checkpoint of "
                               "this state was written")
