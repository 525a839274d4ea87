"""Same story, other language: articles whose multilingual embeddings nearly coincide.

An article's vector is the normalised mean of its chunks' vectors; two articles in different
languages are linked when the mean cosine over the configured embedders reaches a threshold
(calibrated on XQuAD's parallel paragraphs: ``python -m benchmarks.story_links``) and, when both
are dated, their dates are at most ``max_days`` apart. Pairs are scored block by block, so
10,000 articles never need a 10,000 x 10,000 matrix.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .store import Store

THRESHOLD = 0.78
MAX_DAYS = 3


def article_vectors(store: Store, embedder: str) -> dict[str, np.ndarray]:
    """article id -> normalised mean of its chunk vectors in the embedder's collection."""
    col = store.collection(embedder)
    if col is None:
        return {}
    sums: dict[str, np.ndarray] = {}
    for ids, vecs in store.pages(col, ["embeddings"]):  # a chunk id is "<article id>#<n>"
        for cid, vec in zip(ids, vecs, strict=True):
            aid = cid.rsplit("#", 1)[0]
            v = np.asarray(vec, dtype=np.float32)
            sums[aid] = sums[aid] + v if aid in sums else v.copy()
    return {aid: v / (np.linalg.norm(v) or 1.0) for aid, v in sums.items()}


def pair_scores(vectors: list[dict[str, np.ndarray]], ids: list[str], block: int = 1024):
    """Yield (i, j, mean cosine) for i < j over ``ids``, block by block (all pairs: callers
    filter); each embedder's matrix is held once."""
    mats = [np.stack([v[i] for i in ids]) for v in vectors]
    for start in range(0, len(ids), block):
        sims = sum(m[start:start + block] @ m.T for m in mats) / len(mats)
        yield start, sims


def same_story_links(store: Store, embedders: list[str], meta: dict[str, dict],
                     threshold: float = THRESHOLD, max_days: int = MAX_DAYS
                     ) -> list[tuple[str, str, float]]:
    """(a, b, score) with a < b for articles in different languages that report the same
    story; ``meta`` maps article id -> {"lang", "date"}."""
    vectors = [article_vectors(store, e) for e in embedders]
    ids = sorted(set.intersection(*(set(v) for v in vectors)) & set(meta)) if vectors else []
    if len(ids) < 2:
        return []
    langs = np.array([meta[i].get("lang") or "" for i in ids])
    days = np.array([_day(meta[i].get("date")) for i in ids], dtype=np.float64)
    out = []
    for start, sims in pair_scores(vectors, ids):
        rows = np.arange(start, start + len(sims))
        ok = (sims >= threshold)
        ok &= rows[:, None] < np.arange(len(ids))[None, :]
        ok &= (langs[rows][:, None] != langs[None, :]) & (langs[rows][:, None] != "")
        ok &= langs[None, :] != ""
        gap = np.abs(days[rows][:, None] - days[None, :])
        ok &= ~(gap > max_days)  # NaN (an undated article) passes
        for r, c in zip(*np.nonzero(ok), strict=True):
            out.append((ids[start + r], ids[c], round(float(sims[r, c]), 4)))
    return out


def _day(date: str | None) -> float:
    if not date:
        return float("nan")
    try:
        return float(dt.date.fromisoformat(date).toordinal())
    except ValueError:
        return float("nan")
