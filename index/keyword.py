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


_CAPITALISED = re.compile(r"\b[A-ZА-ЯЁÇĞİÖŞÜƏ][\w'’-]{2,}")


def name_key(word: str) -> str:
    """A spelling-independent key of a name: transliterated consonants, so that Ишыкхан,
    Işıkhan and Ishikhan (-> "skn"), Джамшид and Jamshid, Алиев and Aliyev/Əliyev agree.
    "" when too short to tell names apart."""
    w = anyascii(re.split(r"['’]", word)[0]).lower().replace("dzh", "j").replace("ts", "c")
    w = re.sub(r"([kgszct])h", r"\1", w)
    w = re.sub(r"[^a-z]|[aeiouy]", "", w)
    w = re.sub(r"(.)\1+", r"\1", w)
    return w if len(w) >= 2 else ""


def name_keys(text: str, skip_first: bool = False) -> set[str]:
    """Keys of the capitalised words of ``text`` (likely names); with ``skip_first``, the
    text's first word (capitalised as a sentence start) is left out."""
    words = _CAPITALISED.findall(text)
    if skip_first and words and text.lstrip().startswith(words[0]):
        words = words[1:]
    return {k for k in map(name_key, words) if k}


def names_match(wanted: str, present: set[str]) -> bool:
    """A name key matches a key of the text, either being a prefix of the other (inflected
    forms: Омуралиевым, Işıkhan'ın) longer by at most one consonant (an ending), so that
    Ишыкхан ("skn") does not match Искандер ("skndr")."""
    def close(longer: str, shorter: str) -> bool:
        return longer.startswith(shorter) and len(longer) - len(shorter) <= 1

    return any(close(k, wanted) or (len(k) >= 3 and close(wanted, k)) for k in present)


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
