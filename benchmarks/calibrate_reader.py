"""Calibrate the reader as users meet it: through the product's own retrieval, on XQuAD
articles 44-47 (held out of the reader's training, never part of the report split).

    python -m benchmarks.calibrate_reader [--xquad ../shared/benchmarks/xquad]
        [--out out/answers-xquad] [--write]

Every question of paragraphs 220-239, in en/ru/de/tr/es, is asked against the other
languages' paragraphs twice (``benchmarks.answer_data``): with its paragraph there and as a
hard negative (every copy of its paragraph filtered out). The reader reads the top 5
retrieved chunks once (5 spans a window); every quotable span is recorded with its margin,
its chunk's retrieval rank and whether it holds the gold answer. Then a grid search picks
how many chunks to read, the penalty per retrieval rank, the temperature at which spans
naming the same answer pool (``read_answer.support``) and the weight of the top chunk's
closeness to the question (its e5 cosine): the most gold short answers plus hard negatives
refused, with the refusal line at 5 % false refusals. The confidence is a logistic map from
the pooled margins (without the closeness) to "the short answer holds the gold answer",
fitted on both kinds. ``--write`` stores the result in
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

READ, SPANS = 5, 5  # chunks read and spans kept per window while recording
GRID = {"passages": (3, 4, 5), "rank_penalty": (0.0, 1.0, 2.0, 4.0),
        "temperature": (0.0, 1.0, 2.0, 4.0),
        "retrieval_weight": (0.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0)}


def margins(app, questions, ids: list[str]) -> list[dict]:
    """Per question and kind: every quotable span of the top ``READ`` chunks (its margin, its
    chunk's retrieval rank, whether it holds the gold answer), the spans naming the same
    answer, and how close the top chunk is to the question (``read_answer.closeness``)."""
    from tqdm import tqdm

    from assistant.engine.read_answer import closeness, pools
    from assistant.engine.reader import Calibration

    ra = app.reader_answerer
    ra.passages, ra.calibration = READ, Calibration(-1e9, 1.0, 0.0, spans=SPANS)
    rows = []
    for q in tqdm(questions, desc="reading", file=sys.stderr, dynamic_ncols=True):
        for hard in (False, True):
            with app.store.locked(exclusive=False):
                cands = app.retriever.candidates(q.text, max(app.config.k, READ),
                                                 filters_for(q, hard, ids))
            spans = []
            for f in ra.found(q.text, cands):
                aid = f.candidate.chunk.article_id
                gold = normalise(q.answers.get(aid.split("/")[0], "")) if not hard else ""
                own = aid.endswith(f"/{q.paragraph:03d}")
                spans.append({"rank": f.span.passage, "margin": f.span.margin, "span": f.text,
                              "right": own and bool(gold) and gold in normalise(f.text),
                              "sentence": [f.candidate.chunk.id, *f.sentence],
                              "quote_right": own and bool(gold)
                              and gold in normalise(f.sentence_text)})
            rows.append({"qid": q.qid, "lang": q.lang, "hard": hard, "spans": spans,
                         "closeness": closeness(cands[0]) if cands else 0.0,
                         "pools": pools([sp["span"] for sp in spans])})
    return rows


def choose(rows: list[dict], passages: int, rank_penalty: float, temperature: float,
           retrieval_weight: float) -> list[dict]:
    """What the reader answers with these settings: its best span's support and whether
    that span holds the gold answer (as ``ReaderAnswerer.found`` ranks them)."""
    from assistant.engine.read_answer import support

    out = []
    for r in rows:
        keep = [i for i, sp in enumerate(r["spans"]) if sp["rank"] < passages]
        if not keep:
            out.append({"hard": r["hard"], "margin": -99.0, "reading": -99.0, "right": False})
            continue
        where = {i: n for n, i in enumerate(keep)}
        sps = [r["spans"][i] for i in keep]
        pooled = [[where[j] for j in r["pools"][i] if j in where] for i in keep]
        values = support([sp["span"] for sp in sps],
                         [sp["margin"] - rank_penalty * sp["rank"] for sp in sps],
                         temperature, pooled)
        n = max(range(len(sps)), key=lambda n: (values[n], sps[n]["margin"]))
        out.append({"hard": r["hard"], "right": sps[n]["right"], "reading": values[n],
                    "margin": values[n] + retrieval_weight * r["closeness"]})
    return out


QUOTES = 2.0  # the most quotes an answer may have on average
RATIOS = (1.0, 0.75, 0.5, 0.4, 0.3, 0.2)  # a further span this likely relative to the best


def quoted(rows: list[dict], settings: dict, fitted: dict, ratio: float) -> tuple[float, float]:
    """(share of answerable questions with the gold answer in a quote, mean quotes per
    answer) when a further span is quoted at ``ratio`` times the best one's probability
    (``ReaderAnswerer.answer``, step 5)."""
    from types import SimpleNamespace

    from assistant.engine.read_answer import further_quotes, support
    from assistant.engine.reader import Calibration

    cal = Calibration(fitted["threshold"], fitted["a"], fitted["b"])
    hits, counts, present = 0, [], [r for r in rows if not r["hard"]]
    for r in present:
        sps = [sp for sp in r["spans"] if sp["rank"] < settings["passages"]]
        values = support([sp["span"] for sp in sps], [sp["margin"] - settings["rank_penalty"]
                                                      * sp["rank"] for sp in sps],
                         settings["temperature"])
        lift = settings["retrieval_weight"] * r["closeness"]
        found = sorted((SimpleNamespace(text=sp["span"], probability=cal.probability(v),
                                        support=v + lift, margin=sp["margin"],
                                        place=tuple(sp["sentence"]), right=sp["quote_right"])
                        for sp, v in zip(sps, values, strict=True)),
                       key=lambda f: (-f.support, -f.margin))
        if not found or found[0].support < cal.threshold:
            continue
        kept = further_quotes(found, found[0], ratio, lambda f: f.support >= cal.threshold,
                              lambda f: f.place)
        hits += any(f.right for f in kept)
        counts.append(len(kept))
    return hits / max(len(present), 1), float(np.mean(counts)) if counts else 0.0


def second(rows: list[dict], settings: dict, fitted: dict) -> float:
    """The ratio that puts the gold answer in a quote most often with at most ``QUOTES``
    quotes an answer on average."""
    table = [(ratio, *quoted(rows, settings, fitted, ratio)) for ratio in RATIOS]
    for ratio, hit, mean in table:
        print(f"further quotes at {ratio:g} x the best's probability: gold in a quote "
              f"{hit:.3f}, {mean:.2f} quotes an answer", file=sys.stderr)
    return max((t for t in table if t[2] <= QUOTES), key=lambda t: t[1])[0]


def search(rows: list[dict]) -> tuple[dict, list[dict]]:
    """The settings (``GRID``) with the most gold short answers plus hard negatives
    refused, at <= 5 % false refusals."""
    import itertools

    table = []
    for values in itertools.product(*GRID.values()):
        settings = dict(zip(GRID, values, strict=True))
        f = fit(choose(rows, **settings))["figures"]
        table.append((f["gold_in_short_answer"] + f["hard_negatives_refused"], settings, f))
    table.sort(key=lambda t: -t[0])
    for _, settings, f in table[:10]:
        print(f"{settings}: gold in the short answer {f['gold_in_short_answer']:.3f}, hard "
              f"negatives refused {f['hard_negatives_refused']:.3f}, false refusals "
              f"{f['false_refusals']:.3f}", file=sys.stderr)
    _, settings, _ = table[0]
    return settings, choose(rows, **settings)


def fit(rows: list[dict]) -> dict:
    present = np.array([r["margin"] for r in rows if not r["hard"]])
    tau = threshold(list(present))
    # the confidence reads the pooled margins alone: closeness to the question runs higher
    # on news than on Wikipedia, and a map fitted with it promised .8-.9 to wrong answers
    a, b = logistic(np.array([r["reading"] for r in rows]),
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
    ap.add_argument("--rows", type=Path, default=None,
                    help="fit again from the rows a previous run recorded "
                         "(<out>/reader-calibration-rows.json) instead of reading")
    args = ap.parse_args(argv)
    from assistant.engine.reader import CALIBRATION

    t0 = time.perf_counter()
    if args.rows:
        rows, backend = json.loads(args.rows.read_text(encoding="utf-8")), "recorded"
    else:
        data, answers, app, ids = open_xquad(Path(args.xquad), Path(args.out),
                                             answerer="reader")
        rows = margins(app, split_questions(data, answers, "calibrate"), ids)
        backend = app.reader_answerer.reader.backend
    settings, chosen = search(rows)
    closeness = float(np.median([r["closeness"] for r in rows if not r["hard"]]))
    result = fit(chosen) | settings | {"spans": SPANS, "closeness": round(closeness, 4)}
    result |= {"second": second(rows, settings, result)} | {
        "fitted_by": "python -m benchmarks.calibrate_reader --write",
        "data": "XQuAD articles 44-47 (paragraphs 220-239), questions en/ru/de/tr/es against "
                "the other languages' paragraphs, present and as hard negatives",
        "before": fit(choose(rows, 4, 4.0, 0.0, 0.0))["figures"],
        "backend": backend,
        "machine": cpu_line(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(result, indent=1, ensure_ascii=False))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.rows:
        (out / "reader-calibration-rows.json").write_text(json.dumps(rows, ensure_ascii=False))
    if args.write:
        CALIBRATION.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(f"written to {CALIBRATION}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
