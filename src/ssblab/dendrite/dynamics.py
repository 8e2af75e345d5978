"""The time-stepper base, after ASE's ``Dynamics``: subclasses implement ``step()``.

``run(steps)`` advances, ``irun(steps)`` yields after every step, ``attach(fn, interval)``
calls an observer every ``interval`` steps (and once before the first step). A subclass sets
``self.stop_reason`` to end a run early (e.g. a short circuit).

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

from ssblab.errors import InputError


class Dynamics:
    """Base of ssblab time-steppers: ``step()`` in the subclass, observers and loops here."""

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

    def irun(self, steps: int) -> Iterator[bool]:
        """Advance up to ``steps`` steps, yielding after each; stops early on ``stop_reason``."""
        if steps < 0:
            raise InputError(f"steps: expected >= 0, found {steps}")
        if self.nsteps == 0:
            self.call_observers()
        for _ in range(int(steps)):
            if self.stop_reason:
                break
            self.step()
            self.nsteps += 1
            self.call_observers()
            yield True

    def run(self, steps: int):
        """Advance up to ``steps`` steps; return self."""
        for _ in self.irun(steps):
            pass
        return self
