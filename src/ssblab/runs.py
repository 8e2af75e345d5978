"""The run store of sweeps, for queries: ``ssblab.runs.query(store, study=..., **params)``.

See :mod:`ssblab.sweep.store` for the layout and the index schema.
"""

from ssblab.sweep.store import RunStore, query, table

__all__ = ["RunStore", "query", "table"]
