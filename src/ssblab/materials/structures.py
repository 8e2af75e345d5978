"""Bundled crystal structures, read with ASE or pymatgen.

Examples
--------
>>> sorted(list_structures())
['In', 'Li', 'LiCl']
"""

from __future__ import annotations

from importlib import resources

from ssblab.errors import check_choice, require_package


def list_structures() -> list[str]:
    """Names of the bundled structures."""
    folder = resources.files("ssblab.materials") / "structures"
    return [p.name[:-4] for p in folder.iterdir() if p.name.endswith(".cif")]


def structure_path(name: str):
    """Path of a bundled CIF by name (e.g. ``"LiCl"``)."""
    name = check_choice(name, list_structures(), name="structure")
    return resources.files("ssblab.materials") / "structures" / f"{name}.cif"


def load_structure(name: str, *, kind: str = "ase"):
    """A bundled structure as ASE ``Atoms`` (``kind="ase"``) or pymatgen ``Structure``."""
    kind = check_choice(kind, ("ase", "pymatgen"), name="kind")
    path = structure_path(name)
    if kind == "pymatgen":
        require_package("pymatgen", extra="atomistic", purpose="reading CIFs with pymatgen")
        from pymatgen.core import Structure

        return Structure.from_file(str(path))
    require_package("ase", extra="atomistic", purpose="reading CIFs with ASE")
    from ase.io import read

    return read(str(path))
