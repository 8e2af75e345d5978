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
    if not progress_enabled(enabled):
        yield from iterable
        return
    from tqdm.auto import tqdm

    yield from tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False)


def progress_enabled(enabled: bool | None = None) -> bool:
    """``enabled``, or when None: stderr is a terminal and ``SSBLAB_PROGRESS`` is not ``0``
    (``SSBLAB_PROGRESS=1`` forces bars on, e.g. into a log file)."""
    if enabled is not None:
        return bool(enabled)
    setting = os.environ.get("SSBLAB_PROGRESS", "")
    return setting == "1" or (setting != "0" and sys.stderr.isatty())
