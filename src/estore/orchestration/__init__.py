"""Dagster orchestration of the estore pipeline (`estore ui`).

A `dg` project: `definitions.py` loads everything under `defs/` (assets, checks, jobs, sensors,
schedules, alerts). The assets call the same library functions as the CLI (estore.pipeline,
estore.transform, estore.clv, estore.serving); nothing here decides what the warehouse holds.
The plain modules next to this one (landing, manifest, notify, ui) do not import Dagster.
"""
