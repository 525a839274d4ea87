"""Run a process as if on an older x86-64 CPU: CPUID answered without AVX-512 or VNNI.

Libraries choose their kernels from CPUID (onnxruntime's MLAS, oneDNN and ATen in torch,
numpy). ``cpuid_mask.c``, preloaded, turns on Linux's CPUID faulting and answers each CPUID
with those feature bits cleared, so a process on an AVX-512 VNNI machine runs the code paths
an AVX2-only CPU (``"avx2"``) or an AVX-512 CPU without VNNI (``"avx512"``) would run: the
same instructions, so the same rounding. Speeds are those of this CPU running those paths.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).with_name("cpuid_mask.c")
LEVELS = ("avx2", "avx512")


def available() -> str | None:
    """None when masking works here, else why not (one sentence)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return "no /proc/cpuinfo (not Linux)"
    if "cpuid_fault" not in flags:
        return "this CPU (or its hypervisor) offers no CPUID faulting"
    if not (shutil.which("gcc") or shutil.which("cc")):
        return "no C compiler to build the CPUID mask"
    return None


def library(cache: Path | None = None) -> Path:
    """The compiled mask, built once per source version."""
    from index.embedders.e5build import default_cache

    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    folder = cache or default_cache() / "tools"
    out = folder / f"cpuid_mask-{digest}.so"
    if not out.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        cc = shutil.which("gcc") or shutil.which("cc")
        subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(tmp), str(SOURCE)],
                       check=True, capture_output=True)
        os.replace(tmp, out)
    return out


def masked_env(level: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process that sees a CPU of ``level`` ("avx2", "avx512")."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    env = dict(os.environ if base is None else base)
    env["LD_PRELOAD"] = " ".join(filter(None, [str(library()), env.get("LD_PRELOAD", "")]))
    env["CPUID_MASK"] = level
    return env


def usable(levels: list[str]) -> list[str]:
    """``levels`` ("native", "avx2", "avx512") this machine can run; says on stderr why the
    masked ones are dropped where it cannot."""
    import sys

    why = available()
    if why is None:
        return levels
    print(f"only the native CPU path: {why}", file=sys.stderr)
    return [lv for lv in levels if lv == "native"]


def env_for(level: str) -> dict[str, str] | None:
    """The environment of a child process on ``level``; None (inherit) for "native"."""
    return None if level == "native" else masked_env(level)
