"""chgnet's ASE calculator, asking the model only for what has been asked of the calculator.

chgnet's own calculator runs the model with ``task="efsm"`` on every call, so every MD step
pays a second backward pass for the stress and the magnetic-moment head, which NVT and NVE
runs never read. Here a call computes energy and forces, adding the stress once the stress has
been asked for (an NPT barostat, a cell filter) and the magnetic moments once those have: from
then on every call includes them, so a run that needs the stress recomputes only its first
step. Energies and forces do not depend on the task (the strain enters as ``lattice @ (I + 0)``,
which is exact in floating point); tests/atomistic/test_potentials_chgnet.py checks that.

Imported only by :func:`ssblab.atomistic.potentials.get_calculator`, once chgnet is known to
be installed.
"""

from __future__ import annotations

from ase.calculators.calculator import all_properties
from chgnet.model.dynamics import CHGNetCalculator

# the model's tasks, each including the one before; the property that calls for each
_TASKS = ("ef", "efs", "efsm")
_CALLED_FOR = {"stress": "efs", "magmoms": "efsm"}


class CHGNetOnDemand(CHGNetCalculator):
    """chgnet's ``CHGNetCalculator`` computing stress and magnetic moments only once asked for.

    ``task``, the model task of the next call, grows from ``"ef"`` as properties are asked
    for and never shrinks; passing ``task=`` to :meth:`calculate` overrides it for one call.
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
