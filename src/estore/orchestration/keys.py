"""Names shared by the defs modules: asset keys, the file partitions, job names, run tags."""

import dagster as dg

LANDED_FILES = dg.AssetKey("landed_files")  # the files in the landing location (observed, not built)
RAW_EVENTS = dg.AssetKey(["raw", "events"])  # raw.events (+ raw.quarantine), one partition per landed file
RAW_LEDGER = dg.AssetKey(["raw", "load_ledger"])  # raw.load_ledger, written in the same transaction
CUSTOMER_VALUE = dg.AssetKey(["marts", "dim_user_clv"])  # the CLV fit (marts.dim_user_clv, marts.clv_model_fit)
SERVING = dg.AssetKey("serving_snapshot")  # <workspace>/serving.duckdb, what the dashboard reads

# one partition per landed file, keyed by its path below the landing root
FILES = dg.DynamicPartitionsDefinition(name="landed_files")

LOAD_JOB = "load_file"
BUILD_JOB = "build"
SNAPSHOT_JOB = "weekly_snapshot"
LANDING_SENSOR = "landing_sensor"

IDENTITY_TAG = "estore/file_identity"  # the file version a load run was requested for
REFUSED_TAG = "estore/refused"  # on a load run whose file the loader refused: why (never retried)
