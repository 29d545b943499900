"""Writing an output file the user named (export, report): whole or not at all."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from estore.errors import EstoreError


def write_atomically(path: Path, payload: bytes) -> None:
    """Write `payload` to a hidden temporary file beside `path`, then rename it over `path`.

    A crash leaves the old file (or none), never half a file. A path that cannot be written
    raises EstoreError naming it.
    """
    temp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(payload)
        temp.replace(path)
    except BaseException as error:  # a Ctrl-C too: no temporary file is left behind
        with suppress(OSError):  # nothing to remove when the folder is not there
            temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise EstoreError(f"--out {path}: cannot write it ({error.strerror}); choose a writable path") from None
        raise
