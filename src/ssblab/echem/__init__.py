"""Electrochemistry layer: instrument readers, impedance, DRT, Arrhenius and cell tests."""
