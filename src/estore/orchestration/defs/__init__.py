"""Everything `dg` loads: one module per part of the pipeline (see estore.orchestration)."""
