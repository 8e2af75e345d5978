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

from collections.abc import Callable, Iterator
from typing import ClassVar

from ssblab.errors import InputError
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
