"""Train the span reader from the product's own e5 weights, calibrate it, test it, ship it.

    python -m benchmarks.train_reader [--xquad ../shared/benchmarks/xquad] [--out out/reader]
        [--combos 25] [--negatives 0.333] [--epochs 1] [--lr 2e-4] [--bs 32] [--seed 0]
        [--test-every 3] [--ship] [--tiny]

Data (``benchmarks.reader_data``): XQuAD articles 24-43 train (questions in en/de/es/ru/tr
against their paragraph in each language, ``--combos`` of the 25 pairs per question, plus
``--negatives`` no-answer pairs per answerable one); 44-47 calibrate (the no-answer margin
at <= 5 % false refusals and a logistic map from margin to the probability that the span
is right); 0-23 test (es/tr questions against en/ru/de paragraphs, the gold paragraph and
another of its article), never used to choose anything. The embeddings stay frozen; AdamW,
10 % warm-up then linear decay, batches of windows of similar length, bf16 autocast on CUDA
and on CPUs with bf16 instructions. Progress is a bar; a checkpoint is written every 50 steps
and a run resumes from it. Writes ``--out``/reader_weights.safetensors and
reader_manifest.json (data, seed, config, the figures measured, the machine); ``--ship``
copies both into assistant/engine/, where the product loads them.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_parser, cpu_line
from benchmarks.reader_data import LANGS, ReaderData, eval_pairs, train_pairs
from benchmarks.reader_scores import score_pairs

CKPT_EVERY = 50


def labelled_windows(d: ReaderData, pairs: np.ndarray):
    """(windows, start labels, end labels): a window that does not hold the whole gold span
    is labelled with the ``<s>`` token (no answer)."""
    from assistant.engine.reader_net import windows

    ws, ys, ye = [], [], []
    for n, (i, a, p, b, s, e) in enumerate(pairs.tolist()):
        for w in windows(d.q_ids[i, LANGS[a]], d.p_ids[p, LANGS[b]], n):
            inside = s >= 0 and s >= w.start and e < w.start + len(w.ids) - w.offset - 1
            ws.append(w)
            ys.append(s - w.start + w.offset if inside else 0)
            ye.append(e - w.start + w.offset if inside else 0)
    return ws, np.array(ys), np.array(ye)


def batches(ws, bs: int, seed: int) -> list[np.ndarray]:
    """Windows of similar length batched together, the batches in random order."""
    rng = np.random.default_rng(seed)
    order = np.argsort([len(w.ids) + rng.random() * 24 for w in ws], kind="stable")
    out = [order[k:k + bs] for k in range(0, len(order), bs)]
    return [out[k] for k in rng.permutation(len(out))]


def device_info():
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda"), torch.cuda.get_device_name(0), True
    from index.embedders.e5engine import cpu_features

    bf16 = "AVX512BF16" in cpu_features()
    return torch.device("cpu"), cpu_line(), bf16


def train(model, ws, ys, ye, args, dev, bf16: bool, out: Path) -> dict:
    import torch
    import torch.nn.functional as F
    from tqdm import tqdm

    from assistant.engine.reader_net import batch

    for p in model.bert.embeddings.parameters():
        p.requires_grad_(False)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": [p for _, p in params if p.ndim >= 2], "weight_decay": 0.01},
         {"params": [p for _, p in params if p.ndim < 2], "weight_decay": 0.0}], lr=args.lr)
    per_epoch = math.ceil(len(ws) / args.bs)
    total = args.max_steps or max(1, math.ceil(args.epochs * per_epoch))
    warm = max(1, int(0.1 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    ckpt, step, losses = out / "checkpoint.pt", 0, []
    if ckpt.exists() and not args.tiny:
        state = torch.load(ckpt, weights_only=False)
        if state["total"] == total and state["config"] == config_of(args):
            model.load_state_dict(state["model"], strict=False)
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            step, losses = state["step"], state["losses"]
            print(f"resuming from step {step} of {total}", file=sys.stderr)
    model.train()
    t0 = time.perf_counter()
    bar = tqdm(total=total, initial=step, desc="training", file=sys.stderr, dynamic_ncols=True)
    while step < total:
        plan = batches(ws, args.bs, args.seed + step // per_epoch)
        for idx in plan[step % per_epoch:]:
            if step >= total:
                break
            ids, mask = (torch.from_numpy(x).to(dev) for x in batch([ws[i] for i in idx]))
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
                s, e = model(ids, mask)
            loss = (F.cross_entropy(s, torch.from_numpy(ys[idx]).to(dev))
                    + F.cross_entropy(e, torch.from_numpy(ye[idx]).to(dev))) / 2
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _, p in params], 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(round(loss.item(), 4))
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
            if step % CKPT_EVERY == 0 and not args.tiny:
                trained = {n: p.detach() for n, p in params}
                torch.save({"model": trained, "opt": opt.state_dict(), "sched": sched.state_dict(),
                            "step": step, "total": total, "losses": losses,
                            "config": config_of(args)}, out / "checkpoint.tmp")
                (out / "checkpoint.tmp").replace(ckpt)
    bar.close()
    return {"steps": total, "windows": len(ws), "seconds": round(time.perf_counter() - t0, 1),
            "loss_first_50": float(np.mean(losses[:50])),
            "loss_last_50": float(np.mean(losses[-50:]))}


def predict(model, d: ReaderData, pairs: np.ndarray, dev, bs: int = 32) -> list[tuple]:
    """Per pair: (no-answer score, best span score, first token, last token), fp32."""
    import torch
    from tqdm import tqdm

    from assistant.engine.reader_net import read_windows, windows

    ws = sorted((w for n, (i, a, p, b, _, _) in enumerate(pairs.tolist())
                 for w in windows(d.q_ids[i, LANGS[a]], d.p_ids[p, LANGS[b]], n)),
                key=lambda w: len(w.ids))
    bar = tqdm(total=len(ws), desc="reading", file=sys.stderr, dynamic_ncols=True)

    def run(ids, mask):
        with torch.inference_mode():
            s, e = model(torch.from_numpy(ids).to(dev), torch.from_numpy(mask).to(dev))
        bar.update(len(ids))
        return s.float().cpu().numpy(), e.float().cpu().numpy()

    model.eval()
    null, found = read_windows(run, ws, len(pairs), top=1, size=bs)
    bar.close()
    best = [(-np.inf, -1, -1)] * len(pairs)
    for (n, a, b), score in found.items():
        if score > best[n][0]:
            best[n] = (score, a, b)
    return [(float(null[n]), *best[n]) for n in range(len(pairs))]


def config_of(args) -> dict:
    return {k: getattr(args, k) for k in ("combos", "negatives", "epochs", "lr", "bs", "seed",
                                          "max_steps", "tiny")}


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.train_reader", __doc__, "out/reader")
    ap.add_argument("--combos", type=int, default=25, help="language pairs per question (<= 25)")
    ap.add_argument("--negatives", type=float, default=1 / 3)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps")
    ap.add_argument("--test-every", type=int, default=3, help="test every n-th question")
    ap.add_argument("--ship", action="store_true", help="copy the result into the product")
    ap.add_argument("--tiny", action="store_true",
                    help="a smoke run: a few steps on a few pairs, a few test questions")
    args = ap.parse_args(argv)
    import torch
    from tokenizers import Tokenizer

    from assistant.engine import reader_net as rn
    from index.embedders.e5build import ensure_e5

    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = ensure_e5()
    dev, machine, bf16 = device_info()
    print(f"device: {machine}; bf16 autocast {'on' if bf16 else 'off'}; torch threads "
          f"{torch.get_num_threads()}", file=sys.stderr)
    d = ReaderData(Path(args.xquad), Tokenizer.from_file(str(folder / "tokenizer.json")))
    pairs = train_pairs(d, args.combos, args.negatives, args.seed)
    cal = eval_pairs(d, "calibrate", LANGS, ("en", "ru", "de"), args.seed + 1)
    test = eval_pairs(d, "test", ("es", "tr"), ("en", "ru", "de"), args.seed + 2, args.test_every)
    if args.tiny:
        rng = np.random.default_rng(args.seed)
        pairs = pairs[rng.choice(len(pairs), 24, replace=False)]
        cal, test = cal[:40], test[:24]
        args.max_steps, args.bs = args.max_steps or 3, 8
    ws, ys, ye = labelled_windows(d, pairs)
    print(f"train: {len(pairs)} pairs ({int((pairs[:, 4] < 0).sum())} without an answer) in "
          f"{len(ws)} windows; calibrate {len(cal)} pairs; test {len(test)} pairs",
          file=sys.stderr)
    model = rn.network(folder, dropout=0.1).to(dev)
    base = {n: p.detach().clone().cpu() for n, p in model.named_parameters()}
    fit = train(model, ws, ys, ye, args, dev, bf16, out)
    weights = out / rn.WEIGHTS.name
    meta = {"base_sha256": rn.base_sha(folder), "trained_by": "python -m benchmarks.train_reader"}
    rn.save_delta(model.cpu(), base, weights, meta)
    del model
    shipped = rn.network(folder).to(dev)  # what the product loads: the int8 delta on the base
    rn.apply_delta(shipped, weights)
    scores = score_pairs(d, cal, predict(shipped, d, cal, dev),
                         test, predict(shipped, d, test, dev))
    manifest = {
        "trained_by": "python -m benchmarks.train_reader " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine, "bf16": bf16,
        "torch": torch.__version__, "base_sha256": meta["base_sha256"],
        "data": {"xquad": "XQuAD (CC BY-SA 4.0), ../shared/benchmarks/xquad",
                 "train": "articles 24-43", "calibrate": "articles 44-47",
                 "test": "articles 0-23", "train_pairs": len(pairs), "train_windows": len(ws),
                 "calibrate_pairs": len(cal), "test_pairs": len(test)},
        "config": config_of(args) | {"max_len": rn.MAX_LEN, "stride": rn.STRIDE,
                                     "max_question_tokens": rn.MAX_Q,
                                     "dropout": "0.1 on hidden states, none on attention",
                                     "frozen": "embeddings"},
        "training": fit, **scores,
        "weights_bytes": weights.stat().st_size,
    }
    (out / rn.MANIFEST.name).write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps({k: manifest[k] for k in ("training", "threshold", "confidence", "test")},
                     indent=1))
    if args.ship:
        shutil.copy(weights, rn.WEIGHTS)
        shutil.copy(out / rn.MANIFEST.name, rn.MANIFEST)
        print(f"shipped to {rn.WEIGHTS.parent}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
