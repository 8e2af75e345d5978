"""Bundled crystal structures, read with ASE or pymatgen.

Examples
--------
>>> sorted(list_structures())
['In', 'Li', 'Li10GeP2S12', 'LiCl']
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from importlib import resources

import numpy as np

from ssblab.errors import InputError, check_choice, require_package
from ssblab.results import Result, provenance

# bundled refinements with partially occupied sites (pymatgen only)
DISORDERED = frozenset({"Li10GeP2S12"})


def list_structures() -> list[str]:
    """Names of the bundled structures."""
    folder = resources.files("ssblab.materials") / "structures"
    return [p.name[:-4] for p in folder.iterdir() if p.name.endswith(".cif")]


def structure_path(name: str):
    """Path of a bundled CIF by name (e.g. ``"LiCl"``)."""
    name = check_choice(name, list_structures(), name="structure")
    return resources.files("ssblab.materials") / "structures" / f"{name}.cif"


def load_structure(name: str, *, kind: str = "ase"):
    """A bundled structure as ASE ``Atoms`` (``kind="ase"``) or pymatgen ``Structure``.

    Refinements with partial occupancies (Li10GeP2S12) exist only as pymatgen structures: ASE
    would silently fill every partial site (Li28 instead of Li20.2 per LGPS cell), so
    ``kind="ase"`` raises an InputError for them; order them first
    (:func:`ssblab.materials.defects.order_vacancies`).
    """
    kind = check_choice(kind, ("ase", "pymatgen"), name="kind")
    path = structure_path(name)
    if kind == "pymatgen" or name in DISORDERED:
        require_package("pymatgen", extra="atomistic", purpose="reading CIFs with pymatgen")
        from pymatgen.core import Structure

        structure = Structure.from_file(str(path))
        if kind == "ase" and not structure.is_ordered:
            raise InputError(f"structure {name!r} has partial occupancies ({structure.composition}"
                             f"); load it with kind='pymatgen' and order it "
                             f"(materials.defects.order_vacancies) before using it with ASE")
        return structure
    require_package("ase", extra="atomistic", purpose="reading CIFs with ASE")
    from ase.io import read

    return read(str(path))


# pymatgen decodes these with monty, which imports any class a file names ("@module"): code
# chosen by data, so they are refused (CIF, POSCAR and the other text formats are plain data)
UNSAFE_SUFFIXES = (".json", ".mson", ".yaml", ".yml")


def read_structure(name_or_path: str):
    """A bundled structure by name, or any CIF/POSCAR/... file pymatgen reads, as a Structure.

    Anything wrong with the file (kind, size, content pymatgen cannot parse, no sites, a
    degenerate or non-finite lattice) raises :class:`InputError` naming it.
    """
    import os

    if not os.path.exists(name_or_path):
        return load_structure(name_or_path, kind="pymatgen")
    path = _checked_structure_path(name_or_path)
    require_package("pymatgen", extra="atomistic", purpose="reading structure files")
    from pymatgen.core import Structure

    try:
        with quiet_spglib():
            structure = Structure.from_file(str(path))
    except ValueError as exc:
        if "Unrecognized extension" not in str(exc):
            raise InputError(f"{path}: pymatgen could not read a crystal structure from it "
                             f"({_short(exc)})") from None
        from pymatgen.io.ase import AseAtomsAdaptor

        atoms = read_atoms(path)  # extxyz and the other formats only ASE reads
        _check_cell(path, len(atoms), atoms.cell.array, periodic=True)
        structure = AseAtomsAdaptor.get_structure(atoms)
    except Exception as exc:  # pymatgen raises anything on a damaged file
        raise InputError(f"{path}: pymatgen could not read a crystal structure from it "
                         f"({_short(exc)})") from None
    _check_cell(path, len(structure), structure.lattice.matrix)
    return structure


def read_atoms(path, *, format: str | None = None):
    """The (last) structure in any file ASE reads, as ``Atoms``, checked like
    :func:`read_structure`."""
    path = _checked_structure_path(path)
    require_package("ase", extra="atomistic", purpose="reading structure files")
    from ase.io import read

    try:
        atoms = read(str(path), format=format)
    except Exception as exc:  # ASE raises anything on a damaged or foreign file
        raise InputError(f"{path}: ASE could not read a structure from it ({_short(exc)})") \
            from None
    if isinstance(atoms, list):
        atoms = atoms[-1] if atoms else None
    if atoms is None or not hasattr(atoms, "get_positions"):
        raise InputError(f"{path}: no structure found in the file")
    if not np.isfinite(atoms.get_positions()).all():
        raise InputError(f"{path}: atomic positions are not finite")
    _check_cell(path, len(atoms), atoms.cell.array, periodic=bool(atoms.pbc.any()))
    return atoms


def _checked_structure_path(path):
    from pathlib import Path

    from ssblab.files import check_input_file

    path = check_input_file(Path(path), kind="structure")
    if any(suffix in path.name.lower() for suffix in UNSAFE_SUFFIXES):
        raise InputError(f"{path}: pymatgen JSON/YAML structure files are not read (their "
                         "decoder imports classes named inside the file); give a CIF, POSCAR "
                         "or extxyz file")
    return path


def _check_cell(path, n_sites: int, matrix, *, periodic: bool = True) -> None:
    if n_sites == 0:
        raise InputError(f"{path}: the structure has no atoms")
    matrix = np.asarray(matrix, float)
    if not np.isfinite(matrix).all():
        raise InputError(f"{path}: the cell is not finite")
    if periodic and not abs(np.linalg.det(matrix)) > 1e-6:
        raise InputError(f"{path}: the cell is degenerate (volume "
                         f"{abs(np.linalg.det(matrix)):.3g} A^3)")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def check_symprec(symprec: float) -> float:
    """spglib's tolerance must be a positive finite length (a negative one crashes it)."""
    try:
        value = float(symprec)
    except (TypeError, ValueError):
        raise InputError(f"symprec: expected a positive length in A, found {symprec!r}") \
            from None
    if not (math.isfinite(value) and 0 < value < 10):
        raise InputError(f"symprec: expected a tolerance between 0 and 10 A (e.g. 0.1), "
                         f"found {symprec!r}")
    return value


@contextlib.contextmanager
def quiet_spglib():
    """Silence spglib's deprecation of its own error interface, which pymatgen triggers on every
    symmetry call (not ours to fix); nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Set OLD_ERROR_HANDLING", DeprecationWarning)
        yield


def space_group(structure, *, symprec: float = 0.1) -> tuple[str, int]:
    """International symbol and number of a pymatgen structure (spglib via pymatgen)."""
    require_package("pymatgen", extra="atomistic", purpose="space-group analysis")
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    symprec = check_symprec(symprec)
    with quiet_spglib():
        sga = SpacegroupAnalyzer(structure, symprec=symprec)
        return sga.get_space_group_symbol(), int(sga.get_space_group_number())


@dataclasses.dataclass(frozen=True, kw_only=True)
class StructureSummary(Result):
    """Lattice, density, space group and strongest powder reflections of a structure."""

    name: str = ""
    formula: str = ""
    space_group: str = ""
    space_group_number: int = 0
    lattice_A: tuple[float, float, float] = (0.0, 0.0, 0.0)
    angles_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    volume_A3: float = 0.0
    density_g_cm3: float = 0.0
    ordered: bool = True
    wavelength_A: float = 0.0
    reflections: list = dataclasses.field(default_factory=list)

    title = "Crystal structure"

    def summary(self):
        a, b, c = self.lattice_A
        al, be, ga = self.angles_deg
        strongest = ", ".join(f"({r['hkl']}) {r['two_theta_deg']:.2f}" for r in self.reflections[:3])
        return [("structure", self.name), ("composition (cell)", self.formula),
                ("space group", f"{self.space_group} ({self.space_group_number})"),
                ("a, b, c (A)", f"{a:.5f}, {b:.5f}, {c:.5f}"),
                ("alpha, beta, gamma (deg)", f"{al:.3f}, {be:.3f}, {ga:.3f}"),
                ("volume (A^3)", f"{self.volume_A3:.3f}"),
                ("density (g/cm^3)", f"{self.density_g_cm3:.4f}"),
                ("partial occupancies", "no" if self.ordered else "yes"),
                (f"strongest reflections, 2theta (deg) at {self.wavelength_A:.5f} A", strongest)]

    def table(self):
        return [dict(r) for r in self.reflections]

    def _draw(self, ax, **kwargs):
        for r in self.reflections:
            ax.vlines(r["two_theta_deg"], 0, r["intensity_percent"])
            ax.annotate(f"({r['hkl']})", (r["two_theta_deg"], r["intensity_percent"]),
                        fontsize=7, ha="center", va="bottom")
        ax.set_xlabel("2theta (deg)")
        ax.set_ylabel("intensity (% of strongest)")


def describe_structure(structure, *, name: str = "", wavelength="CuKa", n_reflections: int = 8,
                       symprec: float = 0.1, two_theta_range_deg=(10.0, 80.0)) -> StructureSummary:
    """Lattice, density, space group and the ``n_reflections`` strongest powder reflections.

    ``structure`` is a pymatgen Structure (partial occupancies allowed) or a bundled name; the
    pattern is pymatgen's ``XRDCalculator`` at ``wavelength`` ("CuKa" or a number in A).

    Examples
    --------
    >>> s = describe_structure("LiCl", n_reflections=2)
    >>> s.space_group_number, [r["hkl"] for r in s.reflections]
    (225, ['111', '200'])
    """
    require_package("pymatgen", extra="atomistic", purpose="simulated powder XRD")
    from pymatgen.analysis.diffraction.xrd import WAVELENGTHS, XRDCalculator

    if isinstance(structure, str):
        name = name or structure
        structure = read_structure(structure)
    symprec = check_symprec(symprec)
    if isinstance(wavelength, str):
        wavelength = check_choice(wavelength, sorted(WAVELENGTHS), name="wavelength")
        lam = float(WAVELENGTHS[wavelength])
    else:
        lam = float(wavelength)
    if not (math.isfinite(lam) and 0.01 < lam < 100):
        raise InputError(f"wavelength: expected an X-ray wavelength between 0.01 and 100 A, "
                         f"found {wavelength!r}")
    if int(n_reflections) < 1:
        raise InputError(f"n_reflections: expected at least 1, found {n_reflections}")
    try:
        symbol, number = space_group(structure, symprec=symprec)
        pattern = XRDCalculator(wavelength=lam).get_pattern(
            structure, scaled=True, two_theta_range=tuple(two_theta_range_deg))
    except InputError:
        raise
    except Exception as exc:  # spglib/pymatgen on a structure they cannot handle
        raise InputError(f"{name or structure.composition}: symmetry or powder pattern failed "
                         f"({_short(exc)})") from exc
    order = np.argsort(-np.asarray(pattern.y), kind="stable")[:int(n_reflections)]
    reflections = [{"hkl": "".join(str(abs(h)) for h in pattern.hkls[i][0]["hkl"]),
                    "two_theta_deg": float(pattern.x[i]), "d_A": float(pattern.d_hkls[i]),
                    "intensity_percent": float(pattern.y[i]),
                    "multiplicity": int(sum(h["multiplicity"] for h in pattern.hkls[i]))}
                   for i in order]
    lat = structure.lattice
    return StructureSummary(
        name=name, formula=str(structure.composition), space_group=symbol,
        space_group_number=number, lattice_A=tuple(float(v) for v in lat.abc),
        angles_deg=tuple(float(v) for v in lat.angles), volume_A3=float(lat.volume),
        density_g_cm3=float(structure.density), ordered=bool(structure.is_ordered),
        wavelength_A=lam, reflections=reflections,
        provenance=provenance(name=name, wavelength=wavelength, symprec=symprec))
