"""Fit when two answers in different words are one answer (``read_answer.disagreement``).

    python -m benchmarks.fit_same_answer [--xquad ../shared/benchmarks/xquad] [--write]

Sources disagree only when their answers differ; across languages the same answer is other
words ("Guru" / "гуру", "A Machine to End War" / "Машина для завершения войны"), which no
name or number comparison sees. The e5 cosine of the two answers (each encoded alone) sees
it: on XQuAD articles 24-47 (the fit split), the gold answers of one question in two of
en/ru/de/tr/es are one answer; those of two questions of one paragraph are not. The line is
the highest cosine (in steps of .01) at which at least 98 % of the translations count as one
answer. ``--write`` stores it in assistant/engine/dispute.json.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_parser, cpu_line, load_xquad

LANGS = ["en", "ru", "de", "tr", "es"]
SAME = 0.98  # the share of translations that must count as one answer


def answers(xquad: Path) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    """qid -> {lang: gold answer}, and qid -> paragraph index."""
    from benchmarks.answer_data import gold_answers

    para_of = {qid: p for qid, _, p in load_xquad(xquad, ["en"])["en"]["questions"]}
    return gold_answers(xquad, LANGS), para_of


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.fit_same_answer", __doc__)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    from assistant.engine.config import load_config
    from assistant.engine.corroborate import DISPUTE
    from index.embedders import load_embedder

    t0 = time.perf_counter()
    cfg = load_config(toml_path="/nonexistent", env={})
    e5 = load_embedder("e5-small", cfg.threads, cfg.cache_dir())
    ans, para_of = answers(Path(args.xquad))
    fit = [q for q in ans if 120 <= para_of[q] < 240]
    texts = sorted({t for q in fit for t in ans[q].values()})
    vec = dict(zip(texts, e5.encode_documents(texts), strict=True))
    by_para: dict[int, list[str]] = {}
    for q in fit:
        by_para.setdefault(para_of[q], []).append(q)
    same = np.array([vec[ans[q][a]] @ vec[ans[q][b]] for q in fit
                     for a, b in itertools.combinations(LANGS, 2)])
    other = np.array([vec[ans[q1][a]] @ vec[ans[q2][b]] for qs in by_para.values()
                      for q1, q2 in itertools.combinations(qs, 2)
                      for a, b in itertools.combinations(LANGS, 2)])
    grid = [round(x, 2) for x in np.arange(0.70, 0.99, 0.01)]
    line = max(t for t in grid if np.mean(same >= t) >= SAME)
    result = {"same_answer_cosine": line,
              "figures": {"translations": int(same.size), "different_answers": int(other.size),
                          "translations_as_one": round(float(np.mean(same >= line)), 3),
                          "different_as_one": round(float(np.mean(other >= line)), 3)},
              "fitted_by": "python -m benchmarks.fit_same_answer --write",
              "data": "XQuAD articles 24-47, gold answers in en/ru/de/tr/es",
              "embedder": e5.name, "machine": cpu_line(), "date": time.strftime("%Y-%m-%d %H:%M"),
              "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(result, indent=1))
    if args.write:
        DISPUTE.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"written to {DISPUTE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
