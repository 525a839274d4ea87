"""How far the seed test set's figures move with the CPU and the e5 backend it chose.

    python -m benchmarks.gate_spread [--testset FILE] [--json out/bench/gate_spread.json]

Runs ``python -m assistant eval`` once per setting a machine can end up with: each e5 backend
(torch fp32, onnxruntime fp32, int8) on this CPU, and int8 on the code paths of an AVX2-only
CPU and of an AVX-512 CPU without VNNI (tools/cpuid.py), each into a fresh store; and the
reader (the default answerer) on each of its backends (torch, onnx, int8), since which one a
CPU gets is timed there too. Prints every
headline metric per setting, its spread (max - min), the spread in questions (the metric's
step is 1 / the number of answerable questions), and the gate tolerance this implies: the
largest spread plus one answerable question, rounded to 0.01. A drop within it can be the CPU;
a drop past it is more than any CPU or backend moved the figures here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SETTINGS = [  # (label, e5 embedder, CPU path, reader backend)
    ("torch fp32", "e5-small-torch", "native", "onnx"),
    ("onnx fp32", "e5-small-onnx", "native", "onnx"),
    ("int8, this CPU", "e5-small-int8", "native", "onnx"),
    ("int8, AVX-512 path", "e5-small-int8", "avx512", "onnx"),
    ("int8, AVX2 path", "e5-small-int8", "avx2", "onnx"),
    ("reader torch", "e5-small-int8", "native", "torch"),
    ("reader int8, AVX2 path", "e5-small-int8", "avx2", "int8"),
]


def run(testset: str, embedder: str, level: str, reader: str, tmp: Path) -> dict:
    from tools import cpuid

    env = dict(cpuid.env_for(level) or os.environ)
    env["ASSISTANT_EMBEDDERS"] = f"{embedder},use"
    env["ASSISTANT_READER_BACKEND"] = reader
    out = tmp / f"{embedder}-{level}-{reader}.json"
    subprocess.run([sys.executable, "-m", "assistant", "eval", "--testset", testset, "--store",
                    str(tmp / f"store-{embedder}-{level}"), "--json", str(out)], env=env,
                   check=True, capture_output=True)
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    from eval.runner import HEADLINE
    from index.embedders.e5engine import cpu_features, cpu_model
    from tools import cpuid

    ap = argparse.ArgumentParser(prog="python -m benchmarks.gate_spread", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--testset", default="eval/testsets/seed_qa.jsonl")
    ap.add_argument("--json", default="out/bench/gate_spread.json")
    args = ap.parse_args(argv)
    levels = cpuid.usable(sorted({s[2] for s in SETTINGS}))
    settings = [s for s in SETTINGS if s[2] in levels]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, embedder, level, reader in settings:
            print(f"{label} ...", file=sys.stderr, flush=True)
            results[label] = run(args.testset, embedder, level, reader, Path(tmp))
    first = next(iter(results.values()))["summary"]
    n_ans, n_all = first["answerable"], first["questions"]
    print(f"CPU: {cpu_model()}; {' '.join(cpu_features())}; {n_all} questions, "
          f"{n_ans} answerable\n")
    print("| metric | " + " | ".join(results) + " | spread |")
    print("|---|" + "---:|" * (len(results) + 1))
    spreads = {}
    for key in HEADLINE:
        vals = [r["summary"].get(key) for r in results.values()]
        if any(v is None for v in vals):
            continue
        spreads[key] = max(vals) - min(vals)
        print(f"| {key} | " + " | ".join(f"{v:.3f}" for v in vals) +
              f" | {spreads[key]:.3f} |")
    worst = max(spreads, key=spreads.__getitem__)
    step = 1 / max(n_ans, 1)
    tolerance = round(spreads[worst] + step, 2)
    print(f"\nlargest spread: {worst} {spreads[worst]:.3f} ({spreads[worst] / step:.1f} of "
          f"{n_ans} answerable questions); tolerance = spread + one question ({step:.3f}) "
          f"= {tolerance:.2f}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"cpu": cpu_model(), "spreads": spreads,
                                           "tolerance": tolerance,
                                           "summaries": {k: v["summary"]
                                                         for k, v in results.items()}},
                                          indent=1))
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
