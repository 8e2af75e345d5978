"""Materials data: bundled, cited crystal structures (see structures/README.md)."""
