"""Fit when the reader's rival answers are a dispute between sources, not the reader unsure.

    python -m benchmarks.fit_disagree [--xquad ../shared/benchmarks/xquad] [--every 2]

XQuAD's passages never dispute a fact: on the fit split (articles 24-47, every ``--every``-th
question, each language against the other languages' paragraphs) every answer that says
"sources disagree" is a false alarm. The reader's spans are recorded once through the
product's retrieval; then, for each floor on the rival's probability (``SURE``) and ratio to
the best's (``DISAGREE``), the share of answers that would say the sources disagree,
and the share whose short answer holds the gold answer. The rule that one article against two
or more never gives the short answer applies at every setting (``MAJORITY_RATIO``,
``MAJORITY_SURE``). The product's pair is the loosest (lowest floor, then lowest ratio) that
says it for at most 1 %. Then, at the product's pair, the same for the ratio a rival needs
against a best answer that only suspect sentences state (``DOUBT_RATIO``; sentences that read
like text addressed to a model, ``addressed``'s lower line): the lowest that keeps all
disputes at most 1 %.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.answer_data import filters_for, normalise, open_xquad, split_questions
from benchmarks.common import bench_parser, cpu_line

SURES = (0.3, 0.4, 0.5, 0.6, 0.7)
RATIOS = (0.5, 0.6, 0.75, 0.9)
DOUBTS = (0.1, 0.2, 0.3, 0.5)
FALSE_ALARMS = 0.01


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.fit_disagree", __doc__, "out/answers-xquad")
    ap.add_argument("--every", type=int, default=2)
    args = ap.parse_args(argv)
    from tqdm import tqdm

    from assistant.engine import corroborate as R
    from assistant.engine.corroborate import DISAGREE, SURE

    t0 = time.perf_counter()
    data, answers, app, ids = open_xquad(Path(args.xquad), Path(args.out), answerer="reader")
    qs = [q for i, q in enumerate(split_questions(data, answers, "fit")) if i % args.every == 0]
    ra = app.reader_answerer
    cases = []
    for q in tqdm(qs, desc="reading", file=sys.stderr, dynamic_ncols=True):
        with app.store.locked(exclusive=False):
            cands = app.retriever.candidates(q.text, app.config.k, filters_for(q, False, ids))
        found = ra.found(q.text, cands)
        if found and ra.given(found[0]):
            golds = [normalise(a) for a in q.answers.values()]
            cases.append((q.text, found, cands, golds))
    gold = [any(g in normalise(found[0].text) for g in golds) for _, found, _, golds in cases]

    def disputes(ratio: float, doubt: bool) -> tuple[int, list[bool]]:
        n, after = 0, []
        for (text, found, cands, golds), right in zip(cases, gold, strict=True):
            doubted = ra.doubted(found, found[0]) if doubt else []
            sides = R.disagreement(text, found, found[0], ra.given, ratio, cands,
                                   ra.one_answer, doubted)
            n += sides is not None
            short = (None if sides is None else sides[0][0].text
                     if len(sides[0]) > len(sides[1]) else "")
            after.append(right if short is None else any(g in normalise(short)
                                                         for g in golds))
        return n, after

    table = []
    for sure in SURES:
        for ratio in RATIOS:
            R.SURE = sure
            n, after = disputes(ratio, False)
            table.append({"sure": sure, "ratio": ratio, "disputes": round(n / len(cases), 4),
                          "gold_short": round(sum(after) / len(cases), 4)})
            print(f"floor {sure:.1f} ratio {ratio:.2f}: {n} of {len(cases)} answers say the "
                  f"sources disagree ({n / len(cases):.1%}); gold in the short answer "
                  f"{sum(gold) / len(cases):.3f} -> {sum(after) / len(cases):.3f}",
                  file=sys.stderr)
    ok = [t for t in table if t["disputes"] <= FALSE_ALARMS]
    best = min(ok, key=lambda t: (t["sure"], t["ratio"])) if ok else None
    doubts = []
    R.SURE = SURE
    for doubt in DOUBTS:
        R.DOUBT_RATIO = doubt
        n, after = disputes(DISAGREE, True)
        doubts.append({"doubt_ratio": doubt, "disputes": round(n / len(cases), 4),
                       "gold_short": round(sum(after) / len(cases), 4)})
        print(f"product's floors, doubted best at ratio {doubt:.1f}: {n} disputes "
              f"({n / len(cases):.1%}); gold in the short answer {sum(after) / len(cases):.3f}",
              file=sys.stderr)
    doubted = sum(bool(ra.doubted(found, found[0])) for _, found, _, _ in cases)
    ok = [t for t in doubts if t["disputes"] <= FALSE_ALARMS]
    print(json.dumps({"chosen": best, "doubt_chosen": min(ok, key=lambda t: t["doubt_ratio"])
                      if ok else None, "doubted_best": doubted, "doubts": doubts,
                      "answered": len(cases), "table": table,
                      "machine": cpu_line(), "seconds": round(time.perf_counter() - t0, 1)},
                     indent=1))
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
