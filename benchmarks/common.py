"""What the benchmarks share: the XQuAD copy in ../shared, its loader, the argument parser
they start from, the CPU in one line, latency figures and their JSON, and the way they run
(a prepared process, one-line errors)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from corpus.jsonl import write_atomic

XQUAD_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "xquad"


def bench_parser(prog: str, doc: str | None, out: str | None = None) -> argparse.ArgumentParser:
    """The argument parser every XQuAD benchmark starts from: ``--xquad`` (the shared copy)
    and, with ``out``, ``--out`` defaulting to it."""
    ap = argparse.ArgumentParser(prog=prog, description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xquad", default=str(XQUAD_DIR), help="folder of xquad.<lang>.json")
    if out is not None:
        ap.add_argument("--out", default=out)
    return ap


def load_xquad(folder: Path, langs: list[str]) -> dict[str, dict]:
    """lang -> {"paragraphs": [...], "questions": [(qid, text, paragraph index)]}."""
    out = {}
    for lang in langs:
        data = json.loads((folder / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        paras, qs = [], []
        for art in data["data"]:
            for p in art["paragraphs"]:
                for qa in p["qas"]:
                    qs.append((qa["id"], qa["question"], len(paras)))
                paras.append(p["context"])
        out[lang] = {"paragraphs": paras, "questions": qs}
    return out


def proc_memory(pid: int | str = "self") -> dict[str, int]:
    """A process's memory in MB from /proc: VmRSS, VmHWM (peak), RssAnon (its own),
    RssFile (mapped files); zeros when it is gone."""
    keys = ("VmRSS", "VmHWM", "RssAnon", "RssFile")
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return dict.fromkeys(keys, 0)
    got = {ln.split(":")[0]: int(ln.split()[1]) // 1024 for ln in lines
           if ln.split(":")[0] in keys}
    return {k: got.get(k, 0) for k in keys}


def cpu_line() -> str:
    """The CPU in one line: /proc/cpuinfo's model name with its family and model numbers,
    the SIMD features CPUID reports (what numpy, torch and onnxruntime dispatch on), the
    cores this process may use."""
    from index.embedders.e5engine import cpu_features, cpu_model

    return (f"{cpu_model()}; {' '.join(cpu_features()) or 'no AVX2'}; "
            f"{len(os.sched_getaffinity(0))} cores")


def latency(values_ms: list[float]) -> dict:
    """n, p50 (median), p95 (nearest rank, as eval's) and max of some timings in ms."""
    from eval.metrics import median, percentile

    return {"n": len(values_ms), "p50": median(values_ms), "p95": percentile(values_ms, 95),
            "max": round(max(values_ms), 1) if values_ms else None}


def write_json(path: str | Path | None, data: dict) -> None:
    """A benchmark's figures for ``--json PATH`` (nothing when no path was given)."""
    if path:
        write_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def run(main: Callable[[], int | None]) -> None:
    """Run a benchmark's ``main`` as the product's commands run: offline process settings,
    a user's mistake as one ``error:`` line and its exit code."""
    from assistant.app.cli import run_command

    sys.exit(run_command(main))
