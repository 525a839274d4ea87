"""Reading JSONL input files (question batches, test sets) with one-sentence errors, and
writing an output file whole or not at all."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import UsageError


def write_atomic(path: str | Path, text: str, durable: bool = False) -> Path:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, then a
    rename; the folder is created, and the temporary file removed if the write fails.
    ``durable``: the file and the rename are flushed to disk before it returns."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return path


def read_jsonl(path: str | Path, what: str, line_hint: str) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) of each non-blank line of ``path``.

    ``what`` names the file in messages ("batch file"); ``line_hint`` says how a line should
    look. Missing, unreadable or non-JSON input raises UsageError before anything is yielded
    for the bad line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist: pass an existing .jsonl file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise UsageError(f"cannot read {what} {path} ({reason}): pass a readable UTF-8 .jsonl "
                         "file.") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError:
            raise UsageError(f"line {n} of {path} is not valid JSON: {line_hint}.") from None
