"""Workflows chain the layers: each takes plain values or results and records every step."""
