"""The keyword channel: BM25 (bm25s) over transliterated character n-grams.

Names survive across scripts once transliterated (Омуралиев -> omuraliev, Işıkhan -> isikhan),
and character 4-grams match inflected forms (Омуралиевым, Omuraliev's) without a stemmer per
language. The index is persisted beside the vector store with the chunk table it covers.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
from anyascii import anyascii

from .model import Chunk

_WORD = re.compile(r"[a-z0-9]+")
NGRAM = 4


def tokens(text: str) -> list[str]:
    """Transliterated, lower-cased word 4-grams (with word-boundary marks); short words whole."""
    out: list[str] = []
    for word in _WORD.findall(anyascii(text).lower()):
        if len(word) <= NGRAM:
            out.append(word)
            continue
        padded = f"_{word}_"
        out.extend(padded[i : i + NGRAM] for i in range(len(padded) - NGRAM + 1))
    return out


class KeywordIndex:
    """BM25 over chunk texts plus the chunk table (metadata of every indexed chunk)."""

    def __init__(self, chunks: list[Chunk], bm25=None):
        import bm25s

        self.chunks = chunks
        self.position = {c.id: i for i, c in enumerate(chunks)}
        if bm25 is None:
            bm25 = bm25s.BM25()
            if chunks:
                bm25.index([tokens(c.title + "\n" + c.text) for c in chunks], show_progress=False)
        self.bm25 = bm25

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (aligned with ``self.chunks``)."""
        if not self.chunks:
            return np.zeros(0, np.float32)
        q = [t for t in tokens(query) if t in self.bm25.vocab_dict]
        if not q:
            return np.zeros(len(self.chunks), np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)

    def save(self, folder: Path, fingerprint: str) -> None:
        """Write atomically: a new folder is renamed over the old one."""
        tmp = folder.with_name(folder.name + ".tmp")
        if tmp.exists():
            _rmtree(tmp)
        tmp.mkdir(parents=True)
        if self.chunks:
            self.bm25.save(str(tmp / "bm25"), show_progress=False)
        with open(tmp / "chunks.json", "w", encoding="utf-8") as f:
            json.dump({"fingerprint": fingerprint,
                       "chunks": [c.__dict__ for c in self.chunks]}, f, ensure_ascii=False)
        old = folder.with_name(folder.name + ".old")
        if folder.exists():
            if old.exists():
                _rmtree(old)
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old.exists():
            _rmtree(old)

    @classmethod
    def load(cls, folder: Path) -> tuple[KeywordIndex, str] | None:
        """The saved index and its fingerprint, or None if there is none."""
        try:
            with open(folder / "chunks.json", encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        chunks = [Chunk(**c) for c in data["chunks"]]
        bm25 = None
        if chunks:
            import bm25s

            bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        return cls(chunks, bm25), data["fingerprint"]


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
