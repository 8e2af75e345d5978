"""ssblab: a virtual lab for all-solid-state lithium-metal batteries."""

from ssblab._version import __version__
from ssblab.errors import ConvergenceError, InputError, ResourceError, SSBLabError
from ssblab.results import Measured, Result

__all__ = ["ConvergenceError", "InputError", "Measured", "ResourceError", "Result", "SSBLabError",
           "__version__"]
