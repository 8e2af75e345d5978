"""``ssblab cell``: symmetric cells, rate capability, cycle life and materials numbers."""

from __future__ import annotations

import click

from ssblab import reference as ref
from ssblab.cli._common import emit, quantity_option, with_output_options


@click.group("cell")
def cli():
    """Cell models: symmetric cells, full-cell rate capability, life, materials data."""


@cli.command("symmetric")
@click.option("--electrode", type=click.Choice(["li", "li-in", "both", "custom"]), default="both", show_default=True,
              help="li / li-in: seed 004's Li|LYC|Li or Li-In|LYC|Li-In presets (both: the two, overlaid); "
                   "custom: the options below.")
@quantity_option("--thickness", unit="cm", default=None, help="Separator thickness")
@quantity_option("--conductivity", unit="S/cm", default=None, help="Separator conductivity")
@quantity_option("--exchange-current", unit="mA/cm^2", default=None, help="Interface exchange current density")
@quantity_option("--current", unit="mA/cm^2", default="0.2 mA/cm^2", show_default=True, help="Current density")
@quantity_option("--half-cycle", unit="h", default="1 h", show_default=True, help="Time per plating step")
@quantity_option("--duration", unit="h", default="300 h", show_default=True, help="Total time")
@click.option("--ccd", is_flag=True, help="Also run the CCD staircase (0.1 mA/cm2 start, +0.2 steps).")
@with_output_options
def symmetric_cmd(electrode, thickness, conductivity, exchange_current, current, half_cycle, duration, ccd,
                  out, as_json):
    """Voltage vs time of a symmetric cell under galvanostatic cycling."""
    from ssblab.cell import symmetric_model as sym
    from ssblab.errors import InputError

    overrides = {k: v for k, v in (("thickness_cm", thickness), ("conductivity_S_cm", conductivity),
                                   ("exchange_current_mA_cm2", exchange_current)) if v is not None}
    if electrode == "both":
        import matplotlib.pyplot as plt

        from ssblab.report import Report

        results = [sym.galvanostatic_cycling(make(**overrides), current_mA_cm2=current, half_cycle_h=half_cycle,
                                             duration_h=duration)
                   for make in (sym.seed004_li_cell, sym.seed004_li_in_cell)]
        fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        for r in results:
            r.plot(ax=ax)
        report = Report("ssblab cell symmetric: seed 004 Li vs Li-In")
        report.add(results[0], heading="Li|LYC|Li and Li-In|LYC|Li-In", figures=[("voltage vs time", fig)],
                   table=False)
        report.add(results[1], heading="Li-In|LYC|Li-In", figures=[], table=False)
        if _seed004_protocol(overrides, current, half_cycle, duration):
            from ssblab.cell.studies import seed004_symmetric_comparisons

            results.append(seed004_symmetric_comparisons(*results))
            report.add(results[-1], figures=[], table=True)
        emit(results, out=out, as_json=as_json, title="ssblab cell symmetric", report=report)
        return
    if electrode == "li":
        cell = sym.seed004_li_cell(**overrides)
    elif electrode == "li-in":
        cell = sym.seed004_li_in_cell(**overrides)
    else:
        flags = {"thickness_cm": "--thickness", "conductivity_S_cm": "--conductivity",
                 "exchange_current_mA_cm2": "--exchange-current"}
        missing = [flag for key, flag in flags.items() if key not in overrides]
        if missing:
            raise InputError(f"--electrode custom needs {', '.join(missing)}")
        cell = sym.SymmetricCell(electrode="custom", **overrides)
    results = [sym.galvanostatic_cycling(cell, current_mA_cm2=current, half_cycle_h=half_cycle,
                                         duration_h=duration)]
    if electrode != "custom" and _seed004_protocol(overrides, current, half_cycle, duration):
        from ssblab.cell.studies import seed004_symmetric_comparisons

        results.append(seed004_symmetric_comparisons(**{"li" if electrode == "li" else "li_in": results[0]}))
    if ccd:
        import dataclasses

        run = sym.model_ccd(cell)
        if electrode == "li":
            # The Li preset's dendrite speed is fitted to seed 004's curve and has no healing
            # threshold: the staircase shorts at whatever current its growth reaches the far side.
            run = dataclasses.replace(run, reason="not a prediction of any measured CCD: the dendrite speed is "
                                      "fitted to seed 004's Li curve (no threshold); seed 003's CCDs are "
                                      "other cells (ssblab dendrite ccd-study)")
        results.append(run)
    emit(results, out=out, as_json=as_json, title="ssblab cell symmetric")


def _seed004_protocol(overrides, current, half_cycle, duration) -> bool:
    """True when a seed-004 preset runs at seed 004's own protocol, so its features compare."""
    return not overrides and abs(current - 0.2) < 1e-9 and abs(half_cycle - 1.0) < 1e-9 and duration >= 80


@cli.command("rate")
@click.option("--cathode", default="NCM83", show_default=True, help="Cathode parameter set (NCM811, NCM83, LFP).")
@click.option("--anode", default="Li", show_default=True, help="Li or Li-In.")
@quantity_option("--conductivity", unit="S/cm", default=f"{ref.LIC_HOT_SIGMA_S_cm.value * 1e3:g} mS/cm", show_default=True,
                 help="Solid-electrolyte conductivity (separator and catholyte)")
@quantity_option("--separator-thickness", unit="cm", default="400 um", show_default=True, help="Separator thickness")
@quantity_option("--loading", unit="mg/cm^2", default="10 mg/cm^2", show_default=True, help="Active-material loading")
@quantity_option("--cathode-thickness", unit="cm", default="45 um", show_default=True, help="Composite thickness")
@click.option("--rate", "rates", type=float, multiple=True, default=(0.1, 0.5, 1.0, 1.5),
              show_default=True, help="C-rate (repeat the option).")
@quantity_option("--voltage-max", unit="V", default="4.3 V", show_default=True, help="Upper cut-off")
@quantity_option("--voltage-min", unit="V", default="2.7 V", show_default=True, help="Lower cut-off")
@click.option("--composite", type=click.Choice(["uniform", "porous"]), default="uniform", show_default=True,
              help="uniform: composite ionic drop L/(3 sigma_eff); porous: resolved through its thickness "
                   "(ionic starvation at high rate).")
@click.option("--seed000", is_flag=True, help="Run the seed-000 cold- vs hot-pressed comparison instead.")
@with_output_options
def rate_cmd(cathode, anode, conductivity, separator_thickness, loading, cathode_thickness, rates,
             voltage_max, voltage_min, composite, seed000, out, as_json):
    """Rate capability of a full cell from the separator's and composite's ionic resistance."""
    from ssblab.cell.full import FullCell, Layer, rate_capability

    if seed000:
        from ssblab.cell.studies import seed000_rate_study

        emit([seed000_rate_study()], out=out, as_json=as_json, title="ssblab cell rate --seed000")
        return
    c_rates = tuple(rates)
    cell = FullCell(cathode=cathode, anode=anode, loading_mg_cm2=loading, cathode_thickness_cm=cathode_thickness,
                    catholyte_conductivity_S_cm=conductivity, composite_model=composite,
                    separator=[Layer(thickness_cm=separator_thickness, conductivity_S_cm=conductivity)])
    result = rate_capability(cell, c_rates, voltage_max_V=voltage_max, voltage_min_V=voltage_min,
                             label=f"{conductivity * 1e3:g} mS/cm")
    emit([result], out=out, as_json=as_json, title="ssblab cell rate")


@cli.command("life")
@click.option("--cathode", default="NCM83", show_default=True, help="Cathode parameter set.")
@click.option("--anode", default="Li", show_default=True, help="Li or Li-In.")
@quantity_option("--conductivity", unit="S/cm", default=f"{ref.LIC_HOT_SIGMA_S_cm.value * 1e3:g} mS/cm", show_default=True, help="SE conductivity")
@quantity_option("--separator-thickness", unit="cm", default=None,
                 help="Separator thickness [default: 400 um; with --dendrite seed001 seed 001's own 621 um pellet]")
@quantity_option("--loading", unit="mg/cm^2", default="10 mg/cm^2", show_default=True, help="Active-material loading")
@click.option("--c-rate", type=click.FloatRange(0, min_open=True), default=0.5, show_default=True, help="Charge and discharge C-rate.")
@click.option("--cycles", type=int, default=2000, show_default=True, help="Number of cycles.")
@click.option("--interphase-growth", type=float, default=0.0, show_default=True,
              help="k in R_int = k sqrt(t/h), ohm cm2 per sqrt(h).")
@click.option("--li-loss", type=float, default=0.0, show_default=True, help="Li inventory lost per cycle (fraction).")
@quantity_option("--li-excess", unit="mA*h/cm^2", default=None, help="Anode Li beyond the cathode capacity")
@click.option("--dendrite", type=click.Choice(["none", "seed001"]), default="none", show_default=True,
              help="Dendrite growth law (seed001: power law through seed 001's two dendrite lengths).")
@click.option("--cycler-csv", is_flag=True, help="With --out, also write the cycler-like table cycler.csv.")
@with_output_options
def life_cmd(cathode, anode, conductivity, separator_thickness, loading, c_rate, cycles, interphase_growth,
             li_loss, li_excess, dendrite, cycler_csv, out, as_json):
    """Capacity fade over many cycles: interphase growth, Li loss and dendrite shorts."""
    import math

    from ssblab.cell.full import FullCell, Layer, Protocol
    from ssblab.cell.life import SEED001_DENDRITE, SEED001_SEPARATOR_CM, Degradation, simulate_life

    if separator_thickness is None:
        separator_thickness = SEED001_SEPARATOR_CM if dendrite == "seed001" else 0.04
    cell = FullCell(cathode=cathode, anode=anode, loading_mg_cm2=loading, cathode_thickness_cm=45e-4,
                    catholyte_conductivity_S_cm=conductivity,
                    separator=[Layer(thickness_cm=separator_thickness, conductivity_S_cm=conductivity)])
    v_max = 4.3 - cell.anode.potential_V
    protocol = Protocol(charge_C=c_rate, discharge_C=c_rate, voltage_max_V=v_max,
                        voltage_min_V=2.7 - cell.anode.potential_V)
    deg = Degradation(interphase_growth_ohm_cm2_sqrt_h=interphase_growth, li_loss_per_cycle=li_loss,
                      li_excess_mAh_cm2=math.inf if li_excess is None else li_excess,
                      dendrite=SEED001_DENDRITE if dendrite == "seed001" else None)
    result = simulate_life(cell, protocol, n_cycles=cycles, degradation=deg)
    results = [result]
    if dendrite == "seed001":
        from ssblab.cell.life import seed001_comparisons

        results.append(seed001_comparisons(separator_thickness))
    if out is not None and cycler_csv:
        from ssblab.files import write_csv

        data = result.to_cycler_data()
        write_csv(out / "cycler.csv", [{"time_s": t, "voltage_V": v, "current_mA": i, "step": s, "cycle": c}
                                       for t, v, i, s, c in zip(data.time_s, data.voltage_V, data.current_mA,
                                                                data.step, data.cycle)])
    emit(results, out=out, as_json=as_json, title="ssblab cell life")


@cli.command("materials")
@click.option("--formula", required=True, help="Chemical formula, e.g. Li1.5AlOCl2.5.")
@click.option("--price", "prices", multiple=True, help="Element price EL=USD/kg (repeat the option).")
@quantity_option("--cell-volume", unit="angstrom^3", default=None, help="Unit-cell volume for the X-ray density")
@click.option("--formula-units", type=float, default=None, help="Formula units per unit cell (Z).")
@with_output_options
def materials_cmd(formula, prices, cell_volume, formula_units, out, as_json):
    """Molar mass, cost per kg from element prices and (with a unit cell) density."""
    from ssblab.errors import InputError
    from ssblab.materials.data import material_properties

    overrides = {}
    for item in prices:
        element, _, value = item.partition("=")
        try:
            overrides[element.strip()] = float(value)
        except ValueError:
            raise InputError(f"--price: expected EL=USD/kg such as Li=115.7, found {item!r}") from None
    if (cell_volume is None) != (formula_units is None):
        raise InputError("--cell-volume and --formula-units go together")
    result = material_properties(formula, prices_usd_kg=overrides, formula_units=formula_units,
                                 cell_volume_A3=cell_volume)
    emit([result], out=out, as_json=as_json, title="ssblab cell materials")
