"""Model numbers set beside the seed papers' numbers, each labelled fitted or predicted.

A number that was calibrated on a seed's measurement reproduces it by construction; a number
that was not is a prediction. Readers must see which is which wherever a model number meets a
seed number: in the result object, the CLI summary and the HTML report. Every such pair is a
:class:`SeedComparison`, whose ``status`` is either ``"predicted"`` or ``"fitted to <what>"``
(anything else is refused), and whose summary row carries the status and the seed's value.

The seed values themselves live in :mod:`ssblab.reference`.

Examples
--------
>>> c = SeedComparison(seed="seed 003", quantity="CCD, LPSC1.0", unit="mA/cm2", model=0.6,
...                    measured=0.5, status="predicted")
>>> c.summary()[0][0]
'CCD, LPSC1.0 (mA/cm2) [predicted; seed 003: 0.5]'
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

from ssblab.errors import InputError
from ssblab.results import Result

PREDICTED = "predicted"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SeedComparison(Result):
    """One model number beside one seed number, with how the model got it."""

    seed: str
    quantity: str
    unit: str = ""
    model: float
    measured: float
    status: str
    note: str = ""

    title: ClassVar[str] = "Model vs seed"

    def __post_init__(self):
        if not (self.status == PREDICTED or self.status.startswith("fitted to ")):
            raise InputError(f"SeedComparison.status: expected 'predicted' or 'fitted to <what>', "
                             f"found {self.status!r}")

    @property
    def fitted(self) -> bool:
        return self.status != PREDICTED

    @property
    def relative_error(self) -> float:
        if not (math.isfinite(self.measured) and self.measured):
            return math.nan
        return (self.model - self.measured) / self.measured

    @property
    def label(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.quantity}{unit} [{self.status}; {self.seed}: {self.measured:.4g}]"

    def summary(self):
        return [(self.label, self.model)]

    def _draw(self, ax, **kwargs):
        _draw_ratios(ax, [self])

    def row(self) -> dict:
        return {"seed": self.seed, "quantity": self.quantity, "unit": self.unit, "model": self.model,
                "measured": self.measured, "status": self.status, "note": self.note}


@dataclasses.dataclass(frozen=True, kw_only=True)
class SeedComparisons(Result):
    """A set of :class:`SeedComparison` (e.g. the seed-004 presets of ``ssblab cell symmetric``)."""

    items: tuple = ()
    heading: str = ""

    title: ClassVar[str] = "Model vs seed papers (fitted or predicted)"

    def seed_comparisons(self) -> list[SeedComparison]:
        return list(self.items)

    def summary(self):
        rows = [("comparison", self.heading)] if self.heading else []
        return rows + comparison_rows(self.items)

    def table(self):
        return [c.row() for c in self.items]

    def _draw(self, ax, **kwargs):
        _draw_ratios(ax, self.items)


def _draw_ratios(ax, items):
    """Model / seed ratio per comparison: filled = predicted, open = fitted."""
    for k, c in enumerate(items):
        ratio = c.model / c.measured if c.measured else float("nan")
        ax.plot([ratio], [k], "o", color="C0", mfc="C0" if not c.fitted else "none")
    ax.axvline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_yticks(range(len(items)), [c.quantity[:40] for c in items], fontsize=7)
    ax.set_xlabel("model / seed (filled: predicted, open: fitted)")


def comparison_rows(comparisons) -> list[tuple[str, float]]:
    """Summary rows of comparisons: label with status and seed value, then the model value."""
    return [row for c in comparisons for row in c.summary()]
