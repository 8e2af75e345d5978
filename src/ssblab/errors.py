"""The error hierarchy every layer raises.

The CLI maps :class:`InputError` to exit code 2 and any other :class:`SSBLabError` to exit
code 3, printing the message as one line. Messages name the file, field or parameter, what was
expected and what was found.
"""

from __future__ import annotations

import difflib
import typing


class SSBLabError(Exception):
    """Base class of every error ssblab raises on purpose."""


class InputError(SSBLabError, ValueError):
    """Bad user input: a file, unit, field or parameter that cannot be used as given."""


class ConvergenceError(SSBLabError, RuntimeError):
    """A solver or fit did not converge where the caller asked for an exception."""


class ResourceError(SSBLabError, RuntimeError):
    """A resource is missing: an optional package, a GPU, a potential's weights."""


def choices_of(options) -> tuple:
    """The allowed values of a ``Literal[...]`` type, or of any iterable, as a tuple.

    String options are declared once as a ``Literal``; :func:`check_choice` and the CLI's
    ``click.Choice`` both read their values from it.

    Examples
    --------
    >>> from typing import Literal
    >>> choices_of(Literal["unit", "proportional"])
    ('unit', 'proportional')
    """
    args = typing.get_args(options)
    return args if args else tuple(options)


def check_choice(value: str, choices, *, name: str) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise with a did-you-mean.

    ``choices`` is a ``Literal[...]`` type or an iterable of the allowed values.

    Examples
    --------
    >>> from typing import Literal
    >>> Weighting = Literal["unit", "proportional"]
    >>> check_choice("unit", Weighting, name="weighting")
    'unit'
    >>> check_choice("proportionl", ("unit", "proportional"), name="weighting")
    Traceback (most recent call last):
    ...
    ssblab.errors.InputError: weighting: unknown value 'proportionl'; ... (did you mean 'proportional'?)
    """
    choices = choices_of(choices)
    if value in choices:
        return value
    close = difflib.get_close_matches(str(value), choices, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listed = ", ".join(repr(c) for c in choices)
    raise InputError(f"{name}: unknown value {value!r}; expected one of {listed}{hint}")


def require_package(module: str, *, extra: str, purpose: str):
    """Import an optional dependency or raise :class:`ResourceError` saying how to get it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ResourceError(
            f"{purpose} needs the optional package {module!r}, which is not installed; "
            f"install it with: pip install 'ssblab[{extra}]'"
        ) from exc
