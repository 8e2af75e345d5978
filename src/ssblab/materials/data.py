"""Materials numbers a cell designer needs: molar mass, density, cost per kg, stack energy density.

Molar masses come from ``periodictable`` (IUPAC standard atomic weights; extra ``cell``).
Densities follow from a unit cell (formula units per cell and cell volume). Costs are
mass-weighted element prices, the estimate seed 002 uses ("the overall price can be estimated
by considering the proportion of each element used in the synthesis"); :data:`ELEMENT_PRICES`
holds the prices ssblab can cite, each with its source and date, and every function takes the
caller's own prices instead. (Doctests that need ``periodictable`` are marked to skip: the
``test`` extra does not install it; tests/cell/test_materials_data.py runs them when present.)
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ssblab.errors import InputError, require_package
from ssblab.results import Result, provenance
from ssblab.units import AVOGADRO_mol

# element -> (USD/kg, source). Prices move; pass your own with ``prices_usd_kg=``.
ELEMENT_PRICES = {
    "Li": (115.70, "Shanghai Metals Market, 800 000 CNY/t, 2016-12-14 (via leonland.de/elements_by_price)"),
    "O": (0.64, "Praxair, 0.02 USD/scf, 2013-03-01 (via leonland.de/elements_by_price)"),
    "Al": (2.37, "aluminium ingot 99.7 %, 2367-2383 USD/t in warehouse Shanghai, Q2 2018 "
                 "(institut-seltene-erden.org market prices)"),
    "Cl": (0.10, "assumption: no dated chlorine price was available offline; bulk chlorine "
                 "trades at roughly 0.1-0.3 USD/kg"),
}


def _formula(formula: str):
    pt = require_package("periodictable", extra="cell", purpose="molar masses")
    try:
        return pt.formula(formula)
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"formula: cannot parse {formula!r} ({exc})") from None


def molar_mass_g_mol(formula: str) -> float:
    """Molar mass of a formula such as ``"Li3InCl6"`` or ``"Li1.5AlOCl2.5"`` (g/mol).

    Examples
    --------
    >>> round(molar_mass_g_mol("LiCl"), 3)
    42.39
    """
    return float(_formula(formula).mass)


def mass_fractions(formula: str) -> dict[str, float]:
    """Mass fraction of each element.

    Examples
    --------
    >>> round(mass_fractions("LiCl")["Li"], 4)
    0.1637
    """
    f = _formula(formula)
    total = f.mass
    return {str(el): float(count * el.mass / total) for el, count in f.atoms.items()}


def density_from_cell(formula: str, *, formula_units: float, cell_volume_A3: float) -> float:
    """X-ray density (g/cm3) of a crystal: ``Z M / (N_A V)``.

    Examples
    --------
    >>> round(density_from_cell("NaCl", formula_units=4, cell_volume_A3=5.6402**3), 3)
    2.163
    """
    if not (formula_units > 0 and cell_volume_A3 > 0):
        raise InputError(f"density_from_cell: expected positive formula_units and cell_volume_A3, "
                         f"found {formula_units}, {cell_volume_A3}")
    return formula_units * molar_mass_g_mol(formula) / (AVOGADRO_mol * cell_volume_A3 * 1e-24)


def density_from_structure(structure) -> float:
    """Density (g/cm3) of a pymatgen ``Structure`` or an ASE ``Atoms`` object."""
    if hasattr(structure, "density"):
        return float(structure.density)
    if hasattr(structure, "get_masses") and hasattr(structure, "get_volume"):
        return float(structure.get_masses().sum() / (AVOGADRO_mol * structure.get_volume() * 1e-24))
    raise InputError(f"structure: expected a pymatgen Structure or ASE Atoms, "
                     f"found {type(structure).__name__}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class CostResult(Result):
    """Raw-material cost of a compound from element prices."""

    formula: str
    cost_usd_kg: float
    contributions_usd_kg: dict
    prices_usd_kg: dict
    sources: dict = dataclasses.field(default_factory=dict)

    title: ClassVar[str] = "Raw-material cost from element prices"

    def summary(self):
        rows = [("formula", self.formula), ("cost (USD/kg)", self.cost_usd_kg)]
        rows += [(f"{el} share (USD/kg)", v) for el, v in self.contributions_usd_kg.items()]
        return rows

    def table(self):
        return [{"element": el, "price (USD/kg)": self.prices_usd_kg[el], "contribution (USD/kg)": v,
                 "source": self.sources.get(el, "caller")} for el, v in self.contributions_usd_kg.items()]

    def _draw(self, ax, **kwargs):
        ax.bar(list(self.contributions_usd_kg), list(self.contributions_usd_kg.values()))
        ax.set_ylabel("contribution to cost (USD/kg)")
        ax.set_title(f"{self.formula}: {self.cost_usd_kg:.2f} USD/kg", fontsize=9)


def cost_per_kg(formula: str, *, prices_usd_kg: dict | None = None) -> CostResult:
    """Mass-weighted element-price cost of ``formula`` (USD/kg).

    Examples
    --------
    >>> round(cost_per_kg("LiCl", prices_usd_kg={"Li": 100.0, "Cl": 0.0}).cost_usd_kg, 2)
    16.37
    """
    table = {el: p for el, (p, _) in ELEMENT_PRICES.items()}
    table.update(prices_usd_kg or {})
    fractions = mass_fractions(formula)
    missing = sorted(set(fractions) - set(table))
    if missing:
        raise InputError(f"prices_usd_kg: no price for {', '.join(missing)} in {formula!r}; pass "
                         f"prices_usd_kg={{'{missing[0]}': ...}}")
    parts = {el: w * table[el] for el, w in fractions.items()}
    sources = {el: ("caller" if prices_usd_kg and el in prices_usd_kg else ELEMENT_PRICES[el][1])
               for el in parts}
    return CostResult(formula=formula, cost_usd_kg=float(sum(parts.values())), contributions_usd_kg=parts,
                      prices_usd_kg={el: table[el] for el in parts}, sources=sources,
                      provenance=provenance(formula=formula, prices_usd_kg=prices_usd_kg))


@dataclasses.dataclass(frozen=True, kw_only=True)
class StackLayer:
    """One layer of a cell stack: thickness and density (porosity already in the density)."""

    name: str
    thickness_cm: float
    density_g_cm3: float


@dataclasses.dataclass(frozen=True, kw_only=True)
class StackResult(Result):
    """Gravimetric and volumetric energy density of a cell stack."""

    energy_density_Wh_kg: float
    energy_density_Wh_L: float
    areal_capacity_mAh_cm2: float
    mean_voltage_V: float
    layer_names: tuple
    layer_mass_mg_cm2: tuple
    layer_thickness_um: tuple

    title: ClassVar[str] = "Cell-stack energy density"

    def summary(self):
        return [("energy density (Wh/kg)", self.energy_density_Wh_kg),
                ("energy density (Wh/L)", self.energy_density_Wh_L),
                ("areal capacity (mAh/cm2)", self.areal_capacity_mAh_cm2),
                ("mean voltage (V)", self.mean_voltage_V),
                ("stack mass (mg/cm2)", float(sum(self.layer_mass_mg_cm2))),
                ("stack thickness (um)", float(sum(self.layer_thickness_um)))]

    def table(self):
        return [{"layer": n, "thickness (um)": t, "mass (mg/cm2)": m}
                for n, t, m in zip(self.layer_names, self.layer_thickness_um, self.layer_mass_mg_cm2)]

    def _draw(self, ax, **kwargs):
        ax.barh(list(self.layer_names), list(self.layer_mass_mg_cm2))
        ax.set_xlabel("areal mass (mg/cm2)")
        ax.set_title(f"{self.energy_density_Wh_kg:.0f} Wh/kg, {self.energy_density_Wh_L:.0f} Wh/L",
                     fontsize=9)


def stack_energy_density(layers, *, areal_capacity_mAh_cm2: float, mean_voltage_V: float) -> StackResult:
    """Energy per mass and volume of a repeat unit made of ``layers`` (StackLayer or tuples).

    Examples
    --------
    >>> r = stack_energy_density([("cathode", 60e-4, 3.5), ("separator", 30e-4, 2.0), ("Li", 20e-4, 0.534)],
    ...                          areal_capacity_mAh_cm2=4.0, mean_voltage_V=3.8)
    >>> round(r.energy_density_Wh_kg), round(r.energy_density_Wh_L)
    (542, 1382)
    """
    parsed = [layer if isinstance(layer, StackLayer) else StackLayer(name=layer[0], thickness_cm=layer[1],
                                                                     density_g_cm3=layer[2])
              for layer in layers]
    if not parsed or any(layer.thickness_cm < 0 or layer.density_g_cm3 <= 0 for layer in parsed):
        raise InputError("layers: expected (name, thickness_cm >= 0, density_g_cm3 > 0) for each layer")
    if not (areal_capacity_mAh_cm2 > 0 and mean_voltage_V > 0):
        raise InputError("areal_capacity_mAh_cm2 and mean_voltage_V: expected positive values")
    mass_g = sum(layer.thickness_cm * layer.density_g_cm3 for layer in parsed)
    thick_cm = sum(layer.thickness_cm for layer in parsed)
    energy_Wh = areal_capacity_mAh_cm2 * 1e-3 * mean_voltage_V
    return StackResult(energy_density_Wh_kg=energy_Wh / (mass_g * 1e-3),
                       energy_density_Wh_L=energy_Wh / (thick_cm * 1e-3),
                       areal_capacity_mAh_cm2=areal_capacity_mAh_cm2, mean_voltage_V=mean_voltage_V,
                       layer_names=tuple(layer.name for layer in parsed),
                       layer_mass_mg_cm2=tuple(1e3 * layer.thickness_cm * layer.density_g_cm3
                                               for layer in parsed),
                       layer_thickness_um=tuple(1e4 * layer.thickness_cm for layer in parsed),
                       provenance=provenance(layers=[dataclasses.asdict(layer) for layer in parsed]))


@dataclasses.dataclass(frozen=True, kw_only=True)
class MaterialProperties(Result):
    """Molar mass, mass fractions, X-ray density (with a cell) and raw-material cost (with
    dated prices for every element; else the missing elements are named)."""

    formula: str
    molar_mass_g_mol: float
    mass_fractions: dict
    density_g_cm3: float | None = None
    cost: CostResult | None = None
    missing_prices: tuple = ()

    title: ClassVar[str] = "Material properties"

    def summary(self):
        rows = [("formula", self.formula), ("molar mass / (g/mol)", self.molar_mass_g_mol)]
        if self.density_g_cm3 is not None:
            rows.append(("X-ray density / (g/cm3)", self.density_g_cm3))
        if self.cost is not None:
            rows += self.cost.summary()[1:]
        else:
            rows.append(("cost (USD/kg)", "not computed: no dated price for "
                         f"{', '.join(self.missing_prices)} (give --price EL=USD/kg)"))
        return rows

    def table(self):
        return [{"element": el, "mass fraction": w,
                 "price (USD/kg)": self.cost.prices_usd_kg[el] if self.cost else "",
                 "contribution (USD/kg)": self.cost.contributions_usd_kg[el] if self.cost else ""}
                for el, w in self.mass_fractions.items()]

    def _draw(self, ax, **kwargs):
        ax.bar(list(self.mass_fractions), list(self.mass_fractions.values()))
        ax.set_ylabel("mass fraction")
        ax.set_title(self.formula, fontsize=9)


def material_properties(formula: str, *, prices_usd_kg: dict | None = None,
                        formula_units: float | None = None,
                        cell_volume_A3: float | None = None) -> MaterialProperties:
    """Molar mass, mass fractions, density (with ``formula_units`` and ``cell_volume_A3``)
    and cost (when every element has a price) of ``formula``.

    Examples
    --------
    >>> props = material_properties("Li3YCl6")   # no dated Y price: no cost, and it says so
    >>> props.cost is None, props.missing_prices
    (True, ('Y',))
    """
    if (cell_volume_A3 is None) != (formula_units is None):
        raise InputError("cell_volume_A3 and formula_units go together (--cell-volume and "
                         "--formula-units)")
    fractions = mass_fractions(formula)
    known = set(ELEMENT_PRICES) | set(prices_usd_kg or {})
    missing = tuple(sorted(set(fractions) - known))
    cost = None if missing else cost_per_kg(formula, prices_usd_kg=prices_usd_kg)
    density = None if cell_volume_A3 is None else density_from_cell(
        formula, formula_units=formula_units, cell_volume_A3=cell_volume_A3)
    return MaterialProperties(formula=formula, molar_mass_g_mol=molar_mass_g_mol(formula),
                              mass_fractions=fractions, density_g_cm3=density, cost=cost,
                              missing_prices=missing,
                              provenance=provenance(formula=formula, prices_usd_kg=prices_usd_kg))
