"""Build the dbt models shipped in estore/dbt against a warehouse (one in-process dbt invocation)."""

from estore.transform.runner import DBT_PROJECT_DIR, BuildResult, NodeResult, build, unit_test

__all__ = ["DBT_PROJECT_DIR", "BuildResult", "NodeResult", "build", "unit_test"]
