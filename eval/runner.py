"""Run a test set through the assistant and score every answer."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import metrics as M
from .testset import TestItem

# Summary metrics, and whether higher is better (for the regression gate).
HEADLINE: dict[str, bool] = {
    "hit@1": True, "hit@5": True, "hit@10": True, "mrr@10": True, "ndcg@10": True,
    "recall@10": True, "citation_precision": True, "citation_recall": True,
    "citation_validity": True, "must_mention": True, "f1": True, "support": True,
    "refusal_accuracy": True, "false_refusal_rate": False,
}


CONFIDENT = 0.8  # what the page calls high confidence is at least 0.7; this is beyond doubt


def reliability(records: list[Record], edges=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)
                ) -> list[tuple[float, float, int, float | None]]:
    """(low, high, answers, share that passed) per confidence bin, over the answers given
    (refusals left out): a calibrated confidence has the share near the bin's middle."""
    given = [r for r in records if not r.scores["refused"]
             and r.answer.get("confidence") is not None]
    out = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = [r for r in given if lo <= r.answer["confidence"] < hi]
        out.append((lo, min(hi, 1.0), len(inside),
                    M.mean(float(r.passed) for r in inside) if inside else None))
    return out


@dataclass
class Record:
    item: TestItem
    answer: dict  # the full `ask --json` object
    ranked_docs: list[str]  # article ids of the top-10 retrieved chunks, in order
    latency_ms: float
    scores: dict[str, float | None]

    @property
    def passed(self) -> bool:
        s = self.scores
        if not self.item.answerable:
            return bool(s["refused"])
        return (not s["refused"] and bool(s["hit@5"]) and bool(s["citation_recall"])
                and s["must_mention"] in (None, 1.0))

    def to_dict(self) -> dict:
        return {**self.item.to_dict(), "answer": self.answer, "ranked_docs": self.ranked_docs,
                "latency_ms": self.latency_ms, "metrics": self.scores, "passed": self.passed}


def score(item: TestItem, answer: dict, ranked_docs: list[str], texts: dict[str, str]
          ) -> dict[str, float | None]:
    expected = set(item.expected_docs) if item.answerable else set()
    cites = answer.get("citations") or []
    cited = [c["doc_id"] for c in cites]
    refused = not answer.get("answerable", False)
    text = answer.get("answer") or ""
    s: dict[str, float | None] = {
        "hit@1": M.hit_at(ranked_docs, expected, 1),
        "hit@5": M.hit_at(ranked_docs, expected, 5),
        "hit@10": M.hit_at(ranked_docs, expected, 10),
        "mrr@10": M.mrr_at(ranked_docs, expected),
        "ndcg@10": M.ndcg_at(ranked_docs, expected),
        "recall@10": M.recall_at(ranked_docs, expected),
        "citation_precision": M.citation_precision(cited, expected),
        "citation_recall": M.citation_recall(cited, expected),
        "citation_validity": M.citation_validity(cites, texts),
        "refused": float(refused),
        # LLM mode: sentences of the LLM's reply that verification removed
        "sentences_removed": float(len(answer.get("removed") or [])),
    }
    if item.answerable:
        quotes = [c.get("quote", "") for c in cites]
        s["must_mention"] = (0.0 if refused and item.must_mention
                             else M.must_mention_recall(item.must_mention, text, quotes))
        s["f1"] = (0.0 if refused and item.reference is not None
                   else M.token_f1(text, item.reference))
        s["support"] = None if refused else M.support(text, cites)
    else:
        s["must_mention"] = s["f1"] = s["support"] = None
    return s


def summarize(records: list[Record]) -> dict[str, float | None]:
    ans = [r for r in records if r.item.answerable]
    un = [r for r in records if not r.item.answerable]
    out: dict[str, float | None] = {"questions": len(records), "answerable": len(ans),
                                    "unanswerable": len(un)}
    for key in HEADLINE:
        if key == "refusal_accuracy":
            out[key] = M.mean(r.scores["refused"] for r in un)
        elif key == "false_refusal_rate":
            out[key] = M.mean(r.scores["refused"] for r in ans)
        else:
            out[key] = M.mean(r.scores[key] for r in records)
    lat = [r.latency_ms for r in records]
    out["latency_p50_ms"] = M.percentile(lat, 50)
    out["latency_p95_ms"] = M.percentile(lat, 95)
    out["passed"] = M.mean(float(r.passed) for r in records)
    # answers given with confidence >= CONFIDENT that did not pass: the misleading kind
    out["confident_wrong"] = sum(1 for r in records if not r.scores["refused"] and not r.passed
                                 and (r.answer.get("confidence") or 0.0) >= CONFIDENT)
    llm = [r.answer.get("mode") == "llm" for r in records]
    removed = sum(r.scores.get("sentences_removed") or 0 for r in records)
    if any(llm) or removed:  # an LLM-mode run: how much of it the LLM wrote, what was cut
        out["llm_answers"] = M.mean(float(x) for x in llm)
        out["sentences_removed"] = removed
    return out


def by_language(records: list[Record]) -> dict[str, dict[str, float | None]]:
    langs = sorted({r.item.lang for r in records})
    return {lang: summarize([r for r in records if r.item.lang == lang]) for lang in langs}


def run(items: list[TestItem], ask: Callable[[str], dict], texts: dict[str, str],
        search: Callable[[str], list[str]] | None = None, progress: bool = True
        ) -> list[Record]:
    """Ask every question of any system that speaks the answer contract: ``ask`` returns the
    `ask --json` object (in-process engine, a server's API, another product), called as
    ``ask(question)``, or ``ask(question, history=[earlier questions])`` for a follow-up;
    ``search``, where
    the system has one, the article ids of its top-10 passages in rank order (else the
    cited articles stand for the ranking); ``texts`` maps article ids to the texts that
    quotes must be exact substrings of."""
    from tqdm import tqdm

    records = []
    for item in tqdm(items, desc="evaluating", unit="q", file=sys.stderr, disable=not progress,
                     dynamic_ncols=True):
        t0 = time.perf_counter()
        # a follow-up is asked with the conversation's earlier questions
        answer = ask(item.question, history=list(item.history)) if item.history \
            else ask(item.question)
        latency = round((time.perf_counter() - t0) * 1000, 1)
        ranked = ((search(item.question, history=list(item.history)) if item.history
                   else search(item.question)) if search else
                  list(dict.fromkeys(c["doc_id"] for c in answer.get("citations") or [])))
        records.append(Record(item, answer, ranked, latency,
                              score(item, answer, ranked, texts)))
    return records
