"""Interatomic potentials usable offline, all through ASE's Calculator interface.

The registry lists the machine-learned potentials whose weights ship inside their pip
package (nothing is downloaded at run time) and the cheap analytic ones that serve tests.
Any other ASE calculator (a MACE model file, LAMMPS, VASP) is used by passing the calculator
object itself, or a ``"module:factory"`` string naming a function that returns one.

==========  ==========================================  =========================================
name        package                                     notes
==========  ==========================================  =========================================
chgnet      ``chgnet`` (weights in the wheel)            universal MLIP, Materials Project trained
sevennet    ``sevenn`` (SevenNet-0 weights in the wheel) universal MLIP; used when installed
emt         ``ase``                                      effective-medium theory; metals only
lj          ``ase``                                      Lennard-Jones; tests and benchmarks
==========  ==========================================  =========================================

``chgnet`` asks the model for energies and forces only, adding the stress and the magnetic
moments from the first call that asks for them (NPT, cell relaxations): NVT and NVE steps skip
the stress's second backward pass (:mod:`ssblab.atomistic._chgnet`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import sys
from typing import Any, Literal, get_args

import numpy as np

from ssblab.errors import InputError, ResourceError, check_choice, require_package
from ssblab.results import Result

Device = Literal["cpu", "cuda", "auto"]
DEVICES = get_args(Device)


@dataclasses.dataclass(frozen=True)
class PotentialSpec:
    name: str
    package: str
    description: str
    mlip: bool


REGISTRY: dict[str, PotentialSpec] = {s.name: s for s in (
    PotentialSpec("chgnet", "chgnet", "CHGNet 0.3 universal potential (weights ship in the wheel)",
                  True),
    PotentialSpec("sevennet", "sevenn", "SevenNet-0 universal potential (weights ship in the wheel)",
                  True),
    PotentialSpec("emt", "ase", "ASE effective-medium theory (Al, Cu, Ag, Au, Ni, Pd, Pt; tests)",
                  False),
    PotentialSpec("lj", "ase", "ASE Lennard-Jones (any element; tests and benchmarks)", False),
)}


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; others are checked."""
    device = check_choice(device, DEVICES, name="device")
    if device == "cpu":
        return "cpu"
    has_cuda = False
    if importlib.util.find_spec("torch") is not None:
        import torch

        has_cuda = bool(torch.cuda.is_available())
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    if not has_cuda:
        raise ResourceError("device 'cuda' was asked for but torch sees no CUDA GPU here; "
                            "use --device cpu")
    return "cuda"


def get_calculator(potential: Any, *, device: str = "cpu", **options):
    """An ASE calculator from a registry name, a ``"module:factory"`` string or a calculator.

    ``options`` go to the calculator's constructor (e.g. ``sigma``/``epsilon``/``rc`` for
    ``lj``; ``model_path`` for sevennet).

    Examples
    --------
    >>> sorted(REGISTRY)
    ['chgnet', 'emt', 'lj', 'sevennet']
    >>> get_calculator("chgnett")
    Traceback (most recent call last):
    ...
    ssblab.errors.InputError: potential: unknown value 'chgnett'; expected one of ... (did you mean 'chgnet'?)
    """
    if not isinstance(potential, str):
        if not hasattr(potential, "get_potential_energy") and not hasattr(potential, "calculate"):
            raise InputError(f"potential: expected a registry name, 'module:factory' or an ASE "
                             f"calculator; found {type(potential).__name__}")
        return potential
    if ":" in potential:
        module, _, attr = potential.partition(":")
        try:
            factory = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise InputError(f"potential {potential!r}: cannot import {attr!r} from {module!r} "
                             f"({exc})") from exc
        return factory(**options)
    name = check_choice(potential.lower(), tuple(REGISTRY), name="potential")
    if name == "emt":
        from ase.calculators.emt import EMT

        return EMT(**options)
    if name == "lj":
        from ase.calculators.lj import LennardJones

        return LennardJones(**options)
    dev = resolve_device(device)
    if name == "chgnet":
        require_package("chgnet", extra="mlip",
                        purpose="the CHGNet potential (pip install torch==2.13.0 chgnet)")
        from ssblab.atomistic._chgnet import CHGNetOnDemand

        # CHGNet announces itself on stdout, which must stay clean for --json output
        with contextlib.redirect_stdout(sys.stderr):
            return CHGNetOnDemand(use_device=dev, **options)
    require_package("sevenn", extra="sevenn", purpose="the SevenNet-0 potential")
    from sevenn.calculator import SevenNetCalculator

    with contextlib.redirect_stdout(sys.stderr):
        return SevenNetCalculator(options.pop("model", "7net-0"), device=dev, **options)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PotentialsReport(Result):
    """Which potentials are usable on this machine and on which device."""

    rows: tuple = ()
    device: str = "cpu"

    title = "Potentials"

    def summary(self):
        return [("best device here", self.device)] + [
            (r["name"], ("usable" if r["usable"] else "not usable") + f" - {r['note']}")
            for r in self.rows]

    def table(self):
        return [dict(r) for r in self.rows]


def _gpu_visible() -> bool:
    """A cheap check (no torch import) that an NVIDIA GPU is visible to this machine."""
    import glob
    import shutil

    return bool(glob.glob("/dev/nvidia[0-9]*")) or shutil.which("nvidia-smi") is not None


def available_potentials(*, check_load: bool = False) -> PotentialsReport:
    """List the registry with whether each potential's package is installed here.

    With ``check_load`` each installed MLIP is actually loaded (weights from its wheel, no
    network) on the best device torch reports, which takes a few seconds each; without it the
    device is judged from the GPU device files alone (importing torch is slow).
    """
    if check_load:
        device = resolve_device("auto")
    else:
        device = "cuda (GPU visible; confirm with --load)" if _gpu_visible() else "cpu"
    rows = []
    for spec in REGISTRY.values():
        installed = importlib.util.find_spec(spec.package) is not None
        note = spec.description if installed else f"pip install {spec.package}"
        usable = installed
        if installed and check_load and spec.mlip:
            try:
                get_calculator(spec.name, device=device)
                note += f"; loaded on {device}"
            except Exception as exc:  # report, do not crash the listing
                usable, note = False, f"installed but failed to load: {exc}"
        rows.append({"name": spec.name, "usable": usable, "mlip": spec.mlip, "note": note})
    return PotentialsReport(rows=tuple(rows), device=device)


def relax_positions(atoms, *, calculator, species=("Li",), fmax_eV_A: float = 0.05,
                    max_steps: int = 200, device: str = "cpu"):
    """Relax only the atoms of ``species`` (fixed cell, all other atoms fixed) with ASE BFGS.

    ``atoms`` is an ASE Atoms or a pymatgen Structure (converted); ``calculator`` anything
    :func:`get_calculator` accepts. Returns ``(relaxed Atoms,
    converged, steps)``; the input is not modified.
    """
    require_package("ase", extra="atomistic", purpose="relaxing positions")
    from ase import Atoms
    from ase.constraints import FixAtoms
    from ase.optimize import BFGS

    if not isinstance(atoms, Atoms):
        from pymatgen.io.ase import AseAtomsAdaptor

        atoms = AseAtomsAdaptor.get_atoms(atoms)
    atoms = atoms.copy()
    atoms.set_constraint()
    symbols = np.array(atoms.get_chemical_symbols())
    moving = np.isin(symbols, list(species))
    if not moving.any():
        raise InputError(f"species: none of {list(species)} in {atoms.get_chemical_formula()}")
    atoms.set_constraint(FixAtoms(mask=~moving))
    atoms.calc = get_calculator(calculator, device=device) if isinstance(calculator, str) \
        else calculator
    opt = BFGS(atoms, logfile=None)
    converged = bool(opt.run(fmax=fmax_eV_A, steps=max_steps))
    return atoms, converged, int(opt.nsteps)
