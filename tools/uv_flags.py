"""`uv pip install` flags that make uv use what pip is configured to use on this machine
(pip.conf and PIP_* variables): its indexes, find-links, constraints, certificate store.
The Makefile installs with uv when it can (seconds where pip takes minutes) and falls back
to pip; it prints the flags on one line, shell-quoted."""

from __future__ import annotations

import shlex
import subprocess
import sys

FLAGS = {"index-url": "--index-url", "extra-index-url": "--extra-index-url",
         "find-links": "--find-links", "constraint": "--constraint"}


def uv_flags(pip_config: str) -> list[str]:
    """The flags for the output of ``pip config list``."""
    flags = ["--index-strategy", "unsafe-best-match"]  # pip takes the best version anywhere
    seen = set()
    for line in pip_config.splitlines():
        key, _, value = line.partition("=")
        name = key.rsplit(".", 1)[-1].strip()
        for item in value.strip().strip("'\"").split():
            if name in FLAGS and (name, item) not in seen:
                seen.add((name, item))
                flags += [FLAGS[name], item]
            elif name == "cert" and "--native-tls" not in flags:
                flags.append("--native-tls")  # pip's certificate bundle: the system's store
    return flags


def main() -> int:
    got = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                         capture_output=True, text=True)
    print(shlex.join(uv_flags(got.stdout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
