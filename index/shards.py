"""Sharded indexing: ``index --shard I/N`` indexes the articles whose id hashes to shard I of
N, so N processes or machines embed and write one server store at once.

Each shard holds a lease of its own on the server and publishes only its own manifest rows
(its articles and what is embedded of them; every shard reads the whole corpus, so the file
records agree). The server's generation, which readers follow, moves only when the last
shard of a round has finished: that shard computes the same-story links over every article
and publishes the generation, so a reader sees all of a round or none of it (``remote.py``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from corpus import UsageError

MAX_SHARDS = 256


@dataclass(frozen=True)
class Shard:
    i: int  # 1..n
    n: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` with 1 <= I <= N; a UsageError in one sentence otherwise."""
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
        if not m or not 1 <= int(m[1]) <= int(m[2]) <= MAX_SHARDS:
            raise UsageError(f"--shard {text!r} is not I/N with 1 <= I <= N <= {MAX_SHARDS}: "
                             "write e.g. --shard 1/2 on one machine and --shard 2/2 on another.")
        return cls(int(m[1]), int(m[2]))

    def __str__(self) -> str:
        return f"{self.i}/{self.n}"

    def owns(self, article_id: str) -> bool:
        """Whether the article belongs to this shard: a stable hash of its id, the same on
        every machine and Python (not ``hash()``, which is salted per process)."""
        return owner(article_id, self.n) == self.i


def owner(article_id: str, n: int) -> int:
    """The shard (1..n) that indexes the article."""
    digest = hashlib.sha256(article_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1
