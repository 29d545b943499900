"""group_rows: the distinct rows and weights the fitter relies on."""

from __future__ import annotations

import numpy as np

from estore.clv.rows import group_rows


def test_group_rows_matches_numpy_unique_over_rows():
    rng = np.random.default_rng(0)
    T = rng.integers(0, 30, 5000).astype(float)
    tx = np.floor(T * rng.uniform(size=5000))
    x = np.where(rng.uniform(size=5000) < 0.5, 0.0, rng.integers(1, 5, 5000))
    tx[x == 0] = 0.0
    table = np.column_stack([x, tx, T])
    expected_rows, expected_counts = np.unique(table, axis=0, return_counts=True)

    grouped = group_rows(x, tx, T)
    rows = np.column_stack(grouped.columns)
    order = np.lexsort(rows.T[::-1])
    np.testing.assert_array_equal(rows[order], expected_rows)
    np.testing.assert_array_equal(grouped.counts[order], expected_counts)
    np.testing.assert_array_equal(rows[grouped.inverse], table)  # every row maps back to itself
    np.testing.assert_array_equal(grouped.expand(np.arange(len(rows))), grouped.inverse)
