"""Sentence vectors kept with their chunk, for the embedders whose sentences are not searched.

Retrieval's sentence channel pays an HNSW insert per sentence (about 2.6 a chunk). Measured
on held-out XQuAD (``python -m benchmarks.xquad``: R@1/R@5/cross-lingual R@5/MRR@10), both
channels .930/.980/.898/.952, USE's alone .928/.981/.890/.950, e5's alone .924/.978/.808/.949,
none .922/.981/.857/.948: USE's channel earns its graph, e5's does not. e5's sentence vectors
are still read by id (the note detector's pre-screen, the evidence answerer), so they are kept
inside their chunk's metadata as fp16 (``sv``, base64) with the sentences' starts (``ss``):
written in the same upsert as the chunk (a chunk is never without them), deleted with it,
and on a Chroma server readable from any machine.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

import numpy as np

from .model import sentence_id

SEARCHED: frozenset[str] = frozenset()  # embedders whose sentences get an HNSW graph


def searches_sentences(embedder) -> bool:
    """The embedder's sentence vectors are searched (a collection of their own) rather than
    kept with their chunk: its ``sentence_search`` if it says, else by name."""
    own = getattr(embedder, "sentence_search", None)
    return bool(own) if own is not None else embedder.name in SEARCHED


def pack(vectors: np.ndarray, starts: Iterable[int]) -> dict[str, str]:
    """A chunk's sentence vectors and starts as metadata values."""
    data = np.ascontiguousarray(vectors, dtype="<f2").tobytes()
    return {"sv": base64.b64encode(data).decode("ascii"),
            "ss": ",".join(str(int(s)) for s in starts)}


def vectors(meta: dict) -> tuple[list[int], np.ndarray] | None:
    """(starts, float32 vectors) of the sentences kept in one chunk's metadata, or None."""
    text, starts = meta.get("sv"), meta.get("ss")
    ss = [int(s) for s in str(starts or "").split(",") if s]
    if not text or not ss:
        return None
    vecs = np.frombuffer(base64.b64decode(text), dtype="<f2").reshape(len(ss), -1)
    return ss, vecs.astype(np.float32)


def unpack(chunk_id: str, meta: dict) -> dict[str, np.ndarray]:
    """{sentence id: float32 vector} of one chunk's metadata (empty if it holds none)."""
    got = vectors(meta)
    if got is None:
        return {}
    return {sentence_id(chunk_id, s): v for s, v in zip(*got, strict=True)}
