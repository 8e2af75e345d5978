"""chgnet's ASE calculator, asking the model only for what has been asked of the calculator.

chgnet's own calculator runs the model with ``task="efsm"`` on every call, so every MD step
pays a second backward pass for the stress and the magnetic-moment head, which NVT and NVE
runs never read. ``CHGNetOnDemand`` computes energy and forces, adding the stress once the
stress has been asked for (an NPT barostat, a cell filter) and the magnetic moments once those
have: from then on every call includes them, so a run that needs the stress recomputes only
its first step. Energies and forces do not depend on the task (the strain enters as
``lattice @ (I + 0)``, exact in floating point); tests/atomistic/test_potentials_chgnet.py
checks that against chgnet's own calculator.

chgnet is an optional extra, so the class is built from it on first access (PEP 562 module
``__getattr__``): this module imports without chgnet, and pickle finds the class by name.
"""

from __future__ import annotations

import functools

# the model's tasks, each including the one before; the property that calls for each
_TASKS = ("ef", "efs", "efsm")
_CALLED_FOR = {"stress": "efs", "magmoms": "efsm"}


def __getattr__(name):
    if name == "CHGNetOnDemand":
        return _on_demand_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _on_demand_class():
    from ase.calculators.calculator import all_properties
    from chgnet.model.dynamics import CHGNetCalculator

    class CHGNetOnDemand(CHGNetCalculator):
        """chgnet's ``CHGNetCalculator`` computing stress and magnetic moments once asked for.

        ``task``, the model task of the next call, grows from ``"ef"`` as properties are
        asked for and never shrinks; ``calculate(..., task=)`` overrides it for one call.
        """

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.task = "ef"

        def calculate(self, atoms=None, properties=None, system_changes=None, task=None):
            if task is None:
                # chgnet's own reading of no properties: all of them
                for name in set(properties or all_properties) & set(_CALLED_FOR):
                    self.task = max(self.task, _CALLED_FOR[name], key=_TASKS.index)
                task = self.task
            super().calculate(atoms, properties, system_changes, task=task)

    CHGNetOnDemand.__module__ = __name__
    CHGNetOnDemand.__qualname__ = "CHGNetOnDemand"
    return CHGNetOnDemand
