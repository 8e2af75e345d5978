"""The one progress helper: a tqdm bar on stderr when someone is watching, silence otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "",
             enabled: bool | None = None) -> Iterator[T]:
    """Iterate over ``iterable`` showing a progress bar.

    ``enabled=None`` shows it when stderr is a terminal and ``SSBLAB_PROGRESS`` is not ``0``;
    ``SSBLAB_PROGRESS=1`` forces it on (e.g. in a log file).
    """
    if enabled is None:
        setting = os.environ.get("SSBLAB_PROGRESS", "")
        enabled = setting == "1" or (setting != "0" and sys.stderr.isatty())
    if not enabled:
        yield from iterable
        return
    from tqdm.auto import tqdm

    yield from tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False)
