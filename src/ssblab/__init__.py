"""ssblab: a virtual lab for all-solid-state lithium-metal batteries."""

__version__ = "0.1.0"

from ssblab.errors import ConvergenceError, InputError, ResourceError, SSBLabError  # noqa: E402
from ssblab.results import Measured, Result  # noqa: E402

__all__ = ["ConvergenceError", "InputError", "Measured", "ResourceError", "Result", "SSBLabError",
           "__version__"]
