"""The ``ssblab`` command line: one group per layer, discovered from this package.

Each module ``ssblab/cli/<layer>.py`` (no leading underscore) defines a click group named
``cli``; it becomes ``ssblab <layer>``. Modules are imported only when their layer is used.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import signal
import sys
import threading

import click

from ssblab import __version__
from ssblab.errors import InputError, SSBLabError

__all__ = ["main"]


class _LayerGroup(click.Group):
    def list_commands(self, ctx):
        names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
        return sorted(set(names) | set(self.commands))

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        if name.startswith("_") or name not in self.list_commands(ctx):
            return None
        module = importlib.import_module(f"{__name__}.{name}")
        return _finite_floats(module.cli)

    def parse_args(self, ctx, args):
        ctx.meta["ssblab.words"] = list(args)  # to find the command an error came from
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        previous = _interrupt_on_sigterm()
        words = ctx.meta.get("ssblab.words", [])
        try:
            return super().invoke(ctx)
        except SSBLabError as exc:
            if os.environ.get("SSBLAB_DEBUG"):
                raise
            message = option_names(str(exc), self._leaf(ctx, words))
            click.echo(f"ssblab: error: {message}", err=True)
            sys.exit(2 if isinstance(exc, InputError) else 3)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _leaf(self, ctx, words):
        """The command the words on the command line name (for its option names)."""
        command = self
        for word in words:
            if not isinstance(command, click.Group) or word.startswith("-"):
                break
            command = command.get_command(ctx, word)
            if command is None:
                return None
        return command


class _FiniteFloat(click.ParamType):
    """A float option (any range click checks) that must also be finite: nan passes every
    range comparison, and no ssblab option means anything by nan or inf."""

    def __init__(self, inner: click.ParamType):
        self.inner = inner
        self.name = inner.name

    def convert(self, value, param, ctx):
        import math

        number = self.inner.convert(value, param, ctx)
        if number is not None and not math.isfinite(number):
            self.fail(f"expected a finite number, found {value!r}", param, ctx)
        return number

    def get_metavar(self, *args, **kwargs):
        return self.inner.get_metavar(*args, **kwargs)


def _finite_floats(command):
    """Every float option of ``command`` (and its subcommands) refuses nan and inf."""
    for param in command.params:
        if isinstance(param.type, click.types.FloatParamType):
            param.type = _FiniteFloat(param.type)
    for sub in getattr(command, "commands", {}).values():
        _finite_floats(sub)
    return command


# Library parameter names that are not the option's name plus a unit suffix.
ALIASES = {"production_steps": "--steps", "n_reflections": "--reflections",
           "n_steps": "--steps", "equilibration_steps": "--equilibration",
           "n_cycles": "--cycles"}


def option_names(message: str, command) -> str:
    """Say the CLI option where a message names the library parameter behind it.

    ``thickness_cm must be positive`` from ``ssblab eis conductivity --thickness`` reads
    ``--thickness must be positive``: a parameter is the option's name, optionally followed by
    a unit suffix (``_cm``, ``_K``, ``_fs``), or an entry of ``ALIASES``.
    """
    import re

    if command is None:
        return message
    flags = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name:
            flags[param.name] = max(param.opts, key=len)
    known = set(flags.values())
    for name, flag in flags.items():
        # (a quoted name is a column or value the message lists, 'frequency(hz)', not the option)
        message = re.sub(rf"(?<![\w./'-]){re.escape(name)}(_[A-Za-z0-9]+)?(?![\w/.'(])", flag,
                         message)
    for name, flag in ALIASES.items():
        if flag in known:
            message = re.sub(rf"(?<![\w./-]){re.escape(name)}(?![\w/.])", flag, message)
    return message


def _interrupt_on_sigterm():
    """A killed command (SIGTERM) unwinds like Ctrl-C, so half-written output is removed."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, interrupt)


@click.group(cls=_LayerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ssblab")
def main():
    """ssblab: a virtual lab for all-solid-state lithium-metal batteries.

    Exit codes: 0 ok, 2 bad input, 3 failed analysis. Set SSBLAB_DEBUG=1 for tracebacks.
    """


if __name__ == "__main__":  # pragma: no cover
    main()
