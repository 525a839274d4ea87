"""How good the answers are, on XQuAD articles 0-23 (never used to fit anything).

    python -m benchmarks.answers [--xquad ../shared/benchmarks/xquad] [--out out/answers-xquad]
                                 [--every 2]

Asks the product (``Assistant.ask``, the answer a user gets) every question of the report
split (paragraphs 0-119) in en/ru/de/tr/es against the other languages' paragraphs, once with
its own paragraph there and once with every copy of it filtered out (a hard negative: the
rest of its Wikipedia article stays). Prints per question language: the gold answer inside a
cited quote of its paragraph, the gold answer inside the short answer, the top retrieved
passage holding it (what retrieval already found), false refusals, hard negatives refused.
``--answerer`` picks the product's answerer (the default "reader", "learned" or "evidence").
Writes the table and every answer to ``--out``/answers-report-<answerer>.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.answer_data import (
    QUESTION_LANGS,
    filters_for,
    holds_gold,
    normalise,
    open_xquad,
    split_questions,
)
from benchmarks.common import bench_parser

COLUMNS = ["questions", "gold in a cited quote", "gold in the short answer",
           "gold in the top passage", "false refusals", "hard negatives refused"]
TARGETS = {"gold in a cited quote": 0.82, "gold in the short answer": 0.45,
           "hard negatives refused": 0.60}


def ask_all(app, questions, ids: list[str]) -> list[dict]:
    from tqdm import tqdm

    from assistant.engine.phrases import say

    rows = []
    for q in tqdm(questions, desc="asking", file=sys.stderr, dynamic_ncols=True):
        present = app.ask(q.text, filters=filters_for(q, False, ids))
        hard = app.ask(q.text, filters=filters_for(q, True, ids))
        top = app.search(q.text, k=1, filters=filters_for(q, False, ids))
        cited = [c for c in present.citations if holds_gold(c.quote, c.article_id, q)]
        short = present.short_answer or ""
        rows.append({
            "qid": q.qid, "lang": q.lang, "question": q.text,
            "answer": present.text, "confidence": present.confidence,
            "refused": not present.answerable, "gold_cited": bool(cited),
            "gold_short": bool(short) and any(normalise(a) in normalise(short)
                                              for a in q.answers.values()),
            "gold_top": bool(top) and holds_gold(top[0].chunk.text, top[0].chunk.article_id, q),
            "hard_refused": not hard.answerable, "hard_confidence": hard.confidence,
            "disagree": present.text.startswith(say("disagree", present.lang)),
        })
    return rows


def table(rows: list[dict]) -> dict[str, dict[str, float]]:
    out = {}
    for lang in ["all", *QUESTION_LANGS]:
        rs = [r for r in rows if lang in ("all", r["lang"])]
        if not rs:
            continue
        n = len(rs)
        out[lang] = {"questions": n,
                     "gold in a cited quote": sum(r["gold_cited"] for r in rs) / n,
                     "gold in the short answer": sum(r["gold_short"] for r in rs) / n,
                     "gold in the top passage": sum(r["gold_top"] for r in rs) / n,
                     "false refusals": sum(r["refused"] for r in rs) / n,
                     "hard negatives refused": sum(r["hard_refused"] for r in rs) / n,
                     # XQuAD's passages never dispute a fact: every such answer is a false alarm
                     "answers saying sources disagree": sum(r.get("disagree", False)
                                                            for r in rs) / n}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.answers", __doc__, "out/answers-xquad")
    ap.add_argument("--every", type=int, default=2, help="ask every n-th question id")
    ap.add_argument("--answerer", choices=["reader", "learned", "evidence"], default="reader")
    args = ap.parse_args(argv)
    data, answers, app, ids = open_xquad(Path(args.xquad), Path(args.out),
                                         answerer=args.answerer)
    questions = split_questions(data, answers, "report", args.every)
    app.ask("warm-up")
    t0 = time.perf_counter()
    rows = ask_all(app, questions, ids)
    result = table(rows)
    print(f"\nXQuAD report split (paragraphs 0-119), answerer {args.answerer}, every "
          f"{args.every}. id, "
          f"{len(questions)} questions in {time.perf_counter() - t0:.0f} s; store en/ru/de, "
          "each question against the other languages")
    print("| question language | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---:|" * len(COLUMNS))
    for lang, m in result.items():
        print(f"| {lang} | " + " | ".join(
            str(m[c]) if c == "questions" else f"{m[c]:.3f}" for c in COLUMNS) + " |")
    overall = result["all"]
    print("targets: " + ", ".join(
        f"{k} {overall[k]:.3f} {'>=' if overall[k] >= t else '<'} {t}"
        for k, t in TARGETS.items()) + f"; false refusals {overall['false refusals']:.3f} "
        f"{'<=' if overall['false refusals'] <= 0.05 else '>'} 0.05")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"answers-report-{args.answerer}.json").write_text(json.dumps(
        {"table": result, "answers": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
