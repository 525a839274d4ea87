"""The reader's figures on XQuAD pairs: the no-answer threshold and the confidence map fitted
on the calibration split, then span, sentence and refusal figures on the test split.

A pair's margin is its best span's score minus its no-answer score; the reader refuses below
the threshold. The threshold is the margin that refuses at most 5 % of the answerable
calibration pairs. The confidence is a logistic map of the margin fitted on the calibration
pairs to "the span is right" (token F1 with the gold answer >= 0.5; a span given for a
paragraph without the answer is wrong).
"""

from __future__ import annotations

import collections
import re
import unicodedata

import numpy as np

from benchmarks.reader_data import LANGS, ReaderData

FALSE_REFUSALS = 0.05
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)


def tokens(text: str) -> list[str]:
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text.casefold())
    return text.split()


def f1(pred: str, gold: str) -> float:
    p, g = tokens(pred), tokens(gold)
    same = sum((collections.Counter(p) & collections.Counter(g)).values())
    if not same:
        return 0.0
    return 2 * same / (len(p) + len(g))


def sentence_of(text: str, a: int, b: int) -> str:
    """The sentence(s) of ``text`` holding characters a..b (split after .!? and a space
    before an upper-case letter)."""
    cuts = [m.end() for m in re.finditer(r"[.!?]\s+", text)
            if m.end() < len(text) and text[m.end()].isupper()]
    starts, ends = [0, *cuts], [*cuts, len(text)]
    picked = [(s, e) for s, e in zip(starts, ends, strict=True) if s < max(b, a + 1) and e > a]
    return text[picked[0][0]:picked[-1][1]] if picked else text[a:b]


def rows(d: ReaderData, pairs: np.ndarray, preds: list[tuple]) -> list[dict]:
    out = []
    for (i, a, p, b, s, _), (null, score, first, last) in zip(pairs.tolist(), preds,
                                                              strict=True):
        lang = LANGS[b]
        text = d.context[lang][p]
        offs = d.p_offsets[p, lang]
        span = text[offs[first][0]:offs[last][1]] if first >= 0 else ""
        gold = d.questions[i].answer[lang][0]
        sent = sentence_of(text, offs[first][0], offs[last][1]) if first >= 0 else ""
        answerable = s >= 0
        out.append({"qlang": LANGS[a], "plang": lang, "answerable": answerable,
                    "margin": score - null, "f1": f1(span, gold) if answerable else 0.0,
                    "span_holds": answerable and gold.casefold() in span.casefold(),
                    "sentence_holds": answerable and gold.casefold() in sent.casefold()})
    for r in out:
        r["right"] = r["answerable"] and r["f1"] >= 0.5
    return out


def threshold(margins: list[float]) -> float:
    """The margin under which at most ``FALSE_REFUSALS`` of these answerable ones fall."""
    margins = np.sort(margins)
    return float(margins[int(np.floor(FALSE_REFUSALS * len(margins)))])


def logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """(a, b) of P(y) = 1 / (1 + exp(-(a x + b))), by Newton's method (slightly ridged)."""
    w = np.zeros(2)
    X = np.stack([x, np.ones_like(x)], 1)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (p - y) + 1e-3 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hess, grad)
    return float(w[0]), float(w[1])


def figures(rs: list[dict], tau: float, ab: tuple[float, float]) -> dict:
    ans = [r for r in rs if r["answerable"]]
    neg = [r for r in rs if not r["answerable"]]
    given = [r for r in rs if r["margin"] >= tau]
    conf = [1 / (1 + np.exp(-(ab[0] * r["margin"] + ab[1]))) for r in given]
    reliability = []
    for lo, hi in zip(BINS, BINS[1:], strict=False):
        inside = [r["right"] for r, c in zip(given, conf, strict=True) if lo <= c < hi]
        reliability.append({"bin": f"{lo:.1f}-{min(hi, 1):.1f}", "n": len(inside),
                            "right": round(float(np.mean(inside)), 3) if inside else None})
    return {"answerable": len(ans), "no_answer": len(neg),
            "f1": round(float(np.mean([r["f1"] for r in ans])), 3),
            "span_holds_gold": round(float(np.mean([r["span_holds"] for r in ans])), 3),
            "sentence_holds_gold": round(float(np.mean([r["sentence_holds"] for r in ans])), 3),
            "false_refusals": round(float(np.mean([r["margin"] < tau for r in ans])), 3),
            "hard_negatives_refused": round(float(np.mean([r["margin"] < tau for r in neg])), 3),
            "reliability": reliability}


def score_pairs(d: ReaderData, cal: np.ndarray, cal_preds: list[tuple], test: np.ndarray,
                test_preds: list[tuple]) -> dict:
    """The threshold and confidence map from ``cal``; figures on both; test by language."""
    c_rows, t_rows = rows(d, cal, cal_preds), rows(d, test, test_preds)
    tau = threshold([r["margin"] for r in c_rows if r["answerable"]])
    ab = logistic(np.array([r["margin"] for r in c_rows]),
                  np.array([float(r["right"]) for r in c_rows]))
    by_lang = {}
    for key in ("qlang", "plang"):
        for lang in sorted({r[key] for r in t_rows}):
            sub = [r for r in t_rows if r[key] == lang]
            f = figures(sub, tau, ab)
            by_lang[f"{key[0]}={lang}"] = {k: f[k] for k in (
                "f1", "span_holds_gold", "sentence_holds_gold", "false_refusals",
                "hard_negatives_refused")}
    return {"threshold": round(tau, 4), "confidence": {"a": round(ab[0], 5), "b": round(ab[1], 5)},
            "calibration": figures(c_rows, tau, ab), "test": figures(t_rows, tau, ab),
            "test_by_language": by_lang}
