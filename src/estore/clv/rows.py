"""Merging identical customer rows so every model evaluation runs once per distinct history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class GroupedRows:
    columns: tuple[np.ndarray, ...]  # the distinct rows, one array per input column
    inverse: np.ndarray  # row i of the input is distinct row inverse[i]
    counts: np.ndarray  # how many input rows each distinct row stands for

    def expand(self, values: np.ndarray) -> np.ndarray:
        """Map values computed per distinct row back to the input rows."""
        return values[self.inverse]


def group_rows(*columns: np.ndarray) -> GroupedRows:
    """Distinct rows of equal-length numeric columns, in order of first appearance.

    Same result as np.unique(axis=0) up to the order of the distinct rows, but hash-based:
    each column is factorised (pandas.factorize) and the codes are combined pairwise, so 3M
    rows take ~0.2 s instead of ~7 s (np.unique(axis=0) sorts an opaque void dtype).
    """
    cols = [np.ascontiguousarray(c, dtype=float) for c in columns]
    n = len(cols[0])
    codes = np.zeros(n, dtype=np.int64)
    for col in cols:
        col_codes, levels = pd.factorize(col)
        # both factors are < n, so the combined key stays below n^2 (< 2^63 for n < 3e9)
        codes, _ = pd.factorize(codes * len(levels) + col_codes)
    # codes are numbered by first appearance: a row is a first occurrence when it raises the running max
    running_max = np.maximum.accumulate(codes) if n else codes
    first = np.flatnonzero(np.r_[True, running_max[1:] > running_max[:-1]]) if n else codes
    counts = np.bincount(codes, minlength=len(first))
    return GroupedRows(tuple(c[first] for c in cols), codes.astype(np.intp, copy=False), counts)


@dataclass(frozen=True)
class XLevels:
    """Distinct frequencies and each row's index into them."""

    values: np.ndarray
    inverse: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> XLevels:
        values, inverse = np.unique(x, return_inverse=True)
        return cls(values, inverse)

    def gather(self, per_level: np.ndarray) -> np.ndarray:
        return per_level[self.inverse]
