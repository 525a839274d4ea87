"""Calibrate the reader as users meet it: through the product's own retrieval, on XQuAD
articles 44-47 (held out of the reader's training, never part of the report split).

    python -m benchmarks.calibrate_reader [--xquad ../shared/benchmarks/xquad]
        [--out out/answers-xquad] [--write]

Every question of paragraphs 220-239, in en/ru/de/tr/es, is asked against the other
languages' paragraphs twice (``benchmarks.answer_data``): with its paragraph there and as a
hard negative (every copy of its paragraph filtered out). The reader reads the top
``reader_passages`` retrieved chunks; its best span's margin is recorded with whether the
span holds the gold answer. The refusal line is the margin that refuses at most 5 % of the
questions whose paragraph is there; the confidence is a logistic map from the margin to "the
short answer holds the gold answer", fitted on both kinds. ``--write`` stores the result in
assistant/engine/reader_calibration.json, which the product reads.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.answer_data import filters_for, normalise, open_xquad, split_questions
from benchmarks.common import bench_parser, cpu_line
from benchmarks.reader_scores import logistic, threshold


def margins(app, questions, ids: list[str]) -> list[dict]:
    """Per question and kind: each read passage's best span (its margin, its retrieval
    rank) and whether that span holds the gold answer."""
    from tqdm import tqdm

    rows = []
    for q in tqdm(questions, desc="reading", file=sys.stderr, dynamic_ncols=True):
        for hard in (False, True):
            with app.store.locked(exclusive=False):
                cands = app.retriever.candidates(q.text, app.config.k,
                                                 filters_for(q, hard, ids))
            best: dict[int, dict] = {}
            for f in app.reader_answerer.found(q.text, cands):  # best margin first
                if f.span.passage in best:
                    continue
                aid = f.candidate.chunk.article_id
                gold = q.answers.get(aid.split("/")[0], "")
                best[f.span.passage] = {
                    "rank": f.span.passage, "margin": f.span.margin, "span": f.text,
                    "right": (not hard and bool(gold) and aid.endswith(f"/{q.paragraph:03d}")
                              and normalise(gold) in normalise(f.text))}
            rows.append({"qid": q.qid, "lang": q.lang, "hard": hard,
                         "passages": sorted(best.values(), key=lambda r: r["rank"])})
    return rows


def choose(rows: list[dict], k: int, w: float) -> list[dict]:
    """What the reader answers with ``k`` passages, choosing by margin - w * rank."""
    out = []
    for r in rows:
        ps = [p for p in r["passages"] if p["rank"] < k]
        top = max(ps, key=lambda p: p["margin"] - w * p["rank"]) if ps else None
        out.append({"hard": r["hard"], "margin": top["margin"] if top else -99.0,
                    "right": bool(top and top["right"])})
    return out


def search(rows: list[dict]) -> tuple[int, float, list[dict]]:
    """The passages read and the rank penalty with the most gold short answers plus hard
    negatives refused, at <= 5 % false refusals."""
    table = []
    for k in (1, 2, 3, 4):
        for w in (0.0, 0.5, 1.0, 2.0, 4.0):
            f = fit(choose(rows, k, w))["figures"]
            table.append((f["gold_in_short_answer"] + f["hard_negatives_refused"], k, w, f))
    for _, k, w, f in table:
        print(f"passages {k} rank penalty {w:g}: gold in the short answer "
              f"{f['gold_in_short_answer']:.3f}, hard negatives refused "
              f"{f['hard_negatives_refused']:.3f}, false refusals {f['false_refusals']:.3f}",
              file=sys.stderr)
    _, k, w, _ = max(table, key=lambda t: t[0])
    return k, w, choose(rows, k, w)


def fit(rows: list[dict]) -> dict:
    present = np.array([r["margin"] for r in rows if not r["hard"]])
    tau = threshold(list(present))
    a, b = logistic(np.array([r["margin"] for r in rows]),
                    np.array([float(r["right"]) for r in rows]))
    hard = [r for r in rows if r["hard"]]
    given = [r for r in rows if r["margin"] >= tau]
    return {"threshold": round(tau, 4), "a": round(a, 5), "b": round(b, 5), "figures": {
        "questions": len(present),
        "false_refusals": round(float(np.mean(present < tau)), 3),
        "hard_negatives_refused": round(float(np.mean([r["margin"] < tau for r in hard])), 3),
        "right_when_answered": round(float(np.mean([r["right"] for r in given])), 3),
        "gold_in_short_answer": round(float(np.mean(
            [r["right"] and r["margin"] >= tau for r in rows if not r["hard"]])), 3)}}


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.calibrate_reader", __doc__, "out/answers-xquad")
    ap.add_argument("--write", action="store_true",
                    help="store the fit in assistant/engine/reader_calibration.json")
    args = ap.parse_args(argv)
    from assistant.engine.reader import CALIBRATION

    data, answers, app, ids = open_xquad(Path(args.xquad), Path(args.out), answerer="reader")
    questions = split_questions(data, answers, "calibrate")
    t0 = time.perf_counter()
    rows = margins(app, questions, ids)
    k, w, chosen = search(rows)
    result = fit(chosen) | {"passages": k, "rank_penalty": w} | {
        "fitted_by": "python -m benchmarks.calibrate_reader --write",
        "data": "XQuAD articles 44-47 (paragraphs 220-239), questions en/ru/de/tr/es against "
                "the other languages' paragraphs, present and as hard negatives",
        "backend": app.reader_answerer.reader.backend,
        "machine": cpu_line(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(result, indent=1, ensure_ascii=False))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "reader-calibration-rows.json").write_text(json.dumps(rows, ensure_ascii=False))
    if args.write:
        CALIBRATION.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(f"written to {CALIBRATION}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
