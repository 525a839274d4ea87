"""A read-only store (a read-only mount, a shared archive) is read from a copy of its
database files: Chroma and SQLite write even to read."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def writable_copy(store: Path) -> Path:
    """A copy of a read-only store's Chroma database and manifest in the cache, keyed by
    their sizes and times (so a re-indexed store is copied again)."""
    parts = [store / "chroma", store / "manifest.sqlite", store / "manifest.sqlite-wal"]
    stamp = "|".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in
                     (store / "chroma" / "chroma.sqlite3", *parts[1:]) if p.exists())
    key = hashlib.sha256(f"{store.resolve()}|{stamp}".encode()).hexdigest()[:16]
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsqa-assistant"
    target = root / "read-only-stores" / key
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent))
        for p in parts:
            if p.is_dir():
                shutil.copytree(p, tmp / p.name)
            elif p.exists():
                shutil.copy2(p, tmp / p.name)
        os.replace(tmp, target)
    return target
