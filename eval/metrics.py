"""LLM-free metrics for answers with citations. Pure functions on plain values.

Conventions (tested in tests/eval/test_metrics.py):
* retrieval is scored at article level: the ranked chunk hits are reduced to the ranked list
  of distinct article ids (first occurrence wins) before hit@k, MRR@10, nDCG@10, recall@10;
* a metric that is undefined for a question is None and left out of averages (retrieval
  metrics for unanswerable questions; citation precision and validity without citations;
  F1 without a reference; must_mention without groups);
* citation precision and recall count distinct articles (a duplicated citation is one);
* a refused answer to an answerable question scores 0 on citation recall, must_mention and F1.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from corpus.citations import cited_segments, strip_markers

_TOKEN = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC, case-folded, ё->е, punctuation removed, whitespace collapsed (Cyrillic and Latin)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = "".join(" " if unicodedata.category(ch).startswith(("P", "S")) else ch for ch in text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


# -- retrieval ---------------------------------------------------------------------------
def hit_at(ranked: Sequence[str], expected: set[str], k: int) -> float | None:
    if not expected:
        return None
    return float(any(d in expected for d in dedupe(ranked)[:k]))


def mrr_at(ranked: Sequence[str], expected: set[str], k: int = 10) -> float | None:
    if not expected:
        return None
    for i, d in enumerate(dedupe(ranked)[:k], start=1):
        if d in expected:
            return 1.0 / i
    return 0.0


def ndcg_at(ranked: Sequence[str], expected: set[str], k: int = 10) -> float | None:
    """Binary-relevance nDCG over distinct articles."""
    if not expected:
        return None
    dcg = sum(1.0 / math.log2(i + 1)
              for i, d in enumerate(dedupe(ranked)[:k], start=1) if d in expected)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(expected), k) + 1))
    return dcg / ideal


def recall_at(ranked: Sequence[str], expected: set[str], k: int = 10) -> float | None:
    if not expected:
        return None
    return len(set(dedupe(ranked)[:k]) & expected) / len(expected)


# -- citations ---------------------------------------------------------------------------
def citation_precision(cited: Sequence[str], expected: set[str]) -> float | None:
    distinct = set(cited)
    if not distinct or not expected:
        return None
    return len(distinct & expected) / len(distinct)


def citation_recall(cited: Sequence[str], expected: set[str]) -> float | None:
    if not expected:
        return None
    return len(set(cited) & expected) / len(expected)


def citation_validity(citations: Sequence[dict], texts: dict[str, str]) -> float | None:
    """Share of citations whose quote is exactly the article text at its offsets."""
    if not citations:
        return None
    ok = 0
    for c in citations:
        text = texts.get(c["doc_id"])
        if text is not None and c.get("quote") and text[c["start"]:c["end"]] == c["quote"]:
            ok += 1
    return ok / len(citations)


# -- answers -----------------------------------------------------------------------------
def must_mention_recall(groups: Sequence[Sequence[str]], answer: str,
                        quotes: Sequence[str]) -> float | None:
    """Share of groups with at least one of their strings in the answer or its quotes."""
    if not groups:
        return None
    hay = normalize(" ".join([answer, *quotes]))
    padded = f" {hay} "
    hit = 0
    for group in groups:
        if any(_contains(padded, normalize(s)) for s in group if normalize(s)):
            hit += 1
    return hit / len(groups)


def _contains(padded_hay: str, needle: str) -> bool:
    # Match at a word start, so "Aliyev" matches "Aliyevs" but "ran" does not match "Iran".
    return f" {needle}" in padded_hay


def token_f1(prediction: str, reference: str | None) -> float | None:
    if reference is None:
        return None
    pred, ref = tokens(strip_markers(prediction)), tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def answer_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """(sentence, its citation numbers) for each cited segment of an answer."""
    return cited_segments(answer)


def support(answer: str, citations: Sequence[dict], min_overlap: float = 0.8) -> float | None:
    """Share of answer sentences backed by one of their cited quotes: at least ``min_overlap``
    of the sentence's tokens occur in the quote. None for an empty answer."""
    sentences = answer_sentences(answer)
    if not sentences:
        return None
    quotes = {c["n"]: Counter(tokens(c.get("quote", ""))) for c in citations}
    backed = 0
    for sentence, numbers in sentences:
        toks = Counter(tokens(sentence))
        if not toks:
            continue
        for n in numbers:
            q = quotes.get(n)
            if q is not None and sum((toks & q).values()) / sum(toks.values()) >= min_overlap:
                backed += 1
                break
    return backed / len(sentences)


# -- aggregation -------------------------------------------------------------------------
def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
