"""Fit the answerer's sentence model and refusal threshold on XQuAD articles 24-47.

    python -m benchmarks.fit_answerer [--xquad ../shared/benchmarks/xquad]
                                      [--out out/answers-xquad] [--every 1]

Indexes the en/ru/de paragraphs with the product's configuration (``benchmarks.answer_data``),
asks every question of the fit split (paragraphs 120-239) in en/ru/de/tr/es against the other
languages' paragraphs, with and without its own paragraph, and computes the product's sentence
features (cached in ``--out``/fit-rows.pkl; ``--reuse`` fits again without asking). Then:
1. ``select``: a conditional logit (softmax over one question's sentences, L2, scipy's
   L-BFGS) on the questions whose gold sentence is among the candidates;
2. ``refuse``: an L2 logistic regression (numpy, Newton steps) over ``question_row`` for
   "the best sentence holds the gold answer", hard negatives included (never);
3. the refusal threshold: the 5th percentile of that probability over the questions whose
   paragraph is there (<= 5 % false refusals on the fit split); the second-sentence ratio
   keeps a second quote only when it raises "gold in a cited quote" by a point or more.
Writes ``assistant/engine/answer_model.json``; the report split (paragraphs 0-119) is never
read here: ``python -m benchmarks.answers`` reports on it.
"""

from __future__ import annotations

import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

from assistant.engine.answer import MODEL_FILE
from benchmarks.answer_data import filters_for, holds_gold, open_xquad, split_questions
from benchmarks.common import bench_parser

L2 = 1.0
RATIOS = (1.01, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5)


def collect(app, questions, all_ids: list[str]) -> list[dict]:
    """Per question and condition: its feature rows and labels."""
    from tqdm import tqdm

    out = []
    retriever, answerer = app.retriever, app.answerer
    for q in tqdm(questions, desc="questions", file=sys.stderr, dynamic_ncols=True):
        qvecs = retriever.query_vectors(q.text)
        for hard in (False, True):
            cands = retriever.candidates(q.text, app.config.k, filters_for(q, hard, all_ids))
            sents, X, _ = answerer.features(q.text, cands, qvecs)
            y = np.array([holds_gold(s.text, s.candidate.chunk.article_id, q) for s in sents],
                         dtype=float)
            out.append({"qid": q.qid, "lang": q.lang, "hard": hard, "X": X, "y": y})
    return out


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 25):
    """Standardised L2 logistic regression by Newton's method: (mean, std, coef, intercept)."""
    mean, std = X.mean(0), X.std(0)
    std[std == 0] = 1.0
    Z = np.hstack([(X - mean) / std, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    reg = l2 * np.eye(Z.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(Z @ w)))
        grad = Z.T @ (p - y) + reg @ w
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, std, w[:-1], float(w[-1])


def fit_select(rows: list[dict], l2: float = L2):
    """Conditional logit over each question's sentences: (mean, std, coef)."""
    from scipy.optimize import minimize

    groups = [r for r in rows if not r["hard"] and r["y"].any()]
    X = np.vstack([r["X"] for r in groups])
    mean, std = X.mean(0), X.std(0)
    std[std == 0] = 1.0
    Zs = [(r["X"] - mean) / std for r in groups]
    Ys = [r["y"] / r["y"].sum() for r in groups]

    def loss(w):
        total, grad = 0.5 * l2 * w @ w, l2 * w
        for Z, y in zip(Zs, Ys, strict=True):
            s = Z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            total -= float(y @ np.log(p + 1e-12))
            grad = grad + Z.T @ (p - y)
        return total, grad

    w = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B").x
    return mean, std, w


def scored(rows: list[dict], model) -> list[dict]:
    """Each row with its softmax shares and the confidence that its best sentence answers."""
    out = []
    for r in rows:
        if not len(r["X"]):
            out.append({**r, "p": np.zeros(0), "conf": 0.0})
            continue
        _, shares, conf = model.scores(r["X"])
        out.append({**r, "p": shares, "conf": conf})
    return out


def outcome(r: dict, threshold: float, ratio: float) -> dict:
    """What the answer would be: refused, gold in a cited quote, sentences kept."""
    p = r["p"]
    if not len(p) or r["conf"] < threshold:
        return {"refused": True, "gold_cited": False, "kept": 0}
    order = np.argsort(-p)
    kept = [int(order[0])] + [int(i) for i in order[1:2] if p[i] >= ratio * p[order[0]]]
    return {"refused": False, "gold_cited": bool(r["y"][kept].any()), "kept": len(kept)}


def choose(rows: list[dict]) -> tuple[float, float, dict]:
    """The refusal threshold (<= 5 % false refusals) and the second-sentence ratio."""
    present = [r for r in rows if not r["hard"]]
    confs = np.array([r["conf"] for r in present])
    threshold = float(np.quantile(confs, 0.05))
    scores = {}
    for ratio in RATIOS:
        outs = [outcome(r, threshold, ratio) for r in present]
        scores[ratio] = (np.mean([o["gold_cited"] for o in outs]),
                         np.mean([o["kept"] for o in outs if not o["refused"]]))
    ratio = RATIOS[0]
    for r in RATIOS[1:]:
        if scores[r][0] >= scores[ratio][0] + 0.01:
            ratio = r
    hard = [outcome(r, threshold, ratio) for r in rows if r["hard"]]
    top1 = np.mean([bool(len(r["p"]) and r["y"][int(np.argmax(r["p"]))]) for r in present])
    reachable = np.mean([bool(r["y"].any()) for r in present])
    summary = {"gold_among_candidates": round(float(reachable), 3),
               "gold_in_top_sentence": round(float(top1), 3),
               "gold_cited": round(float(scores[ratio][0]), 3),
               "sentences_per_answer": round(float(scores[ratio][1]), 2),
               "false_refusals": round(float(np.mean(confs < threshold)), 3),
               "hard_negatives_refused": round(float(np.mean([o["refused"] for o in hard])), 3)}
    return threshold, ratio, summary


def fit(rows: list[dict]) -> tuple[dict, dict]:
    """Both models, the threshold and the ratio, as the JSON the product loads."""
    from assistant.engine.answer import QUESTION_NAMES, Linear, SentenceModel, question_row
    from assistant.engine.features import NAMES

    s_mean, s_std, s_coef = fit_select(rows)
    select = Linear(s_mean, s_std, s_coef)
    qrows, labels = [], []
    for r in rows:
        if len(r["X"]):
            logits = select(r["X"])
            qrows.append(question_row(r["X"], logits))
            labels.append(float(not r["hard"] and r["y"][int(np.argmax(logits))]))
    r_mean, r_std, r_coef, r_icpt = fit_logistic(np.array(qrows), np.array(labels))
    model = SentenceModel(select, Linear(r_mean, r_std, r_coef, r_icpt), 0.0, 1.0)
    threshold, ratio, summary = choose(scored(rows, model))

    def dump(lin: Linear, names) -> dict:
        return {"names": list(names), "mean": lin.mean.round(6).tolist(),
                "std": lin.std.round(6).tolist(), "coef": lin.coef.round(6).tolist(),
                "intercept": round(float(lin.intercept), 6)}

    return {"features": list(NAMES), "select": dump(select, NAMES),
            "refuse": dump(Linear(r_mean, r_std, r_coef, r_icpt), QUESTION_NAMES),
            "threshold": round(threshold, 4), "second": ratio}, summary


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.fit_answerer", __doc__, "out/answers-xquad")
    ap.add_argument("--every", type=int, default=1, help="use every n-th question id")
    ap.add_argument("--reuse", action="store_true", help="fit again on the cached features")
    ap.add_argument("--model", default=str(MODEL_FILE), help="where to write the weights")
    args = ap.parse_args(argv)
    cache = Path(args.out) / "fit-rows.pkl"
    t0 = time.perf_counter()
    if args.reuse and cache.is_file():
        rows, n_questions = pickle.loads(cache.read_bytes())
    else:
        data, answers, app, ids = open_xquad(Path(args.xquad), Path(args.out))
        questions = split_questions(data, answers, "fit", args.every)
        rows, n_questions = collect(app, questions, ids), len(questions)
        cache.write_bytes(pickle.dumps((rows, n_questions)))
    model, summary = fit(rows)
    n_sent = sum(len(r["y"]) for r in rows)
    model["fitted_on"] = (f"XQuAD paragraphs 120-239 (articles 24-47), {n_questions} questions "
                          "in en/ru/de/tr/es x (own paragraph there, removed); "
                          f"{n_sent} sentences")
    model["fit_split"] = summary
    Path(args.model).write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"{n_questions} questions, {n_sent} sentences, {time.perf_counter() - t0:.0f} s")
    for part in ("select", "refuse"):
        print(f"\n{part}: | feature | weight (standardised) |\n|---|---:|")
        m = model[part]
        for name, w in sorted(zip(m["names"], m["coef"], strict=True), key=lambda t: -abs(t[1])):
            print(f"| {name} | {w:+.3f} |")
    print(f"\nthreshold {model['threshold']}, second sentence at >= {model['second']} x the "
          "best; fit split: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    print(f"wrote {args.model}")
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
