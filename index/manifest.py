"""The manifest: what the store holds, in one SQLite file (``manifest.sqlite``).

It is the index's own record of the corpus: every article (metadata, cleaned text and raw
text, so quotes stay verifiable and removed furniture can be shown), each file's content hash
(an unchanged file is not even parsed on the next run), which embedder has embedded which
version of each article, and the same-story links. Vectors live in Chroma; the manifest says
which of them are complete. Writes are ordered so that a run killed at any point leaves a
state the next run completes:

1. ``begin``: the articles about to be (re-)embedded are recorded, with no ``embedded`` rows
   for their new content;
2. vectors are deleted and written in Chroma;
3. ``mark_embedded`` records them as done.

Deletion removes vectors first and manifest rows last, so nothing is forgotten half-way.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from corpus import Article

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, file TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT NULL,
    title TEXT NOT NULL, date TEXT, lang TEXT, site TEXT, url TEXT, path TEXT NOT NULL,
    n_chunks INTEGER NOT NULL, text TEXT NOT NULL, raw TEXT NOT NULL, indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    file TEXT PRIMARY KEY, sha256 TEXT NOT NULL, ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS embedded (
    article_id TEXT NOT NULL, embedder TEXT NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (article_id, embedder)
);
CREATE TABLE IF NOT EXISTS links (
    a TEXT NOT NULL, b TEXT NOT NULL, score REAL NOT NULL, PRIMARY KEY (a, b)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

ARTICLE_FIELDS = ("id", "file", "source", "sha256", "title", "date", "lang", "site", "url",
                  "path", "n_chunks", "text", "raw", "indexed_at")


def file_of(article: Article) -> str:
    """The corpus file an article came from (its source without a feed's '#key')."""
    return article.source.split("#", 1)[0]


class Manifest:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # durable across a killed process
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _tx(self):
        return _Transaction(self.db)

    # -- reading ------------------------------------------------------------------------
    def ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM articles")}

    def embedded(self, embedder: str) -> dict[str, str]:
        """article id -> sha256 of the content the embedder's vectors were made from."""
        return dict(self.db.execute(
            "SELECT article_id, sha256 FROM embedded WHERE embedder = ?", (embedder,)))

    def unchanged(self, file: str, sha256: str, embedders: list[str]) -> list[str] | None:
        """The ids of ``file``'s articles if its bytes are the ones indexed and every one of
        them is embedded by every embedder in its current version; else None."""
        row = self.db.execute("SELECT sha256, ids FROM files WHERE file = ?", (file,)).fetchone()
        if row is None or row[0] != sha256:
            return None
        ids = json.loads(row[1])
        if not ids:
            return None
        marks = "?," * len(ids)
        for name in embedders:
            n = self.db.execute(
                f"SELECT COUNT(*) FROM embedded e JOIN articles a ON a.id = e.article_id "
                f"WHERE e.embedder = ? AND e.sha256 = a.sha256 AND a.id IN ({marks[:-1]})",
                (name, *ids)).fetchone()[0]
            if n != len(ids):
                return None
        return ids

    def article(self, article_id: str) -> dict | None:
        row = self.db.execute(f"SELECT {', '.join(ARTICLE_FIELDS)} FROM articles WHERE id = ?",
                              (article_id,)).fetchone()
        return dict(zip(ARTICLE_FIELDS, row, strict=True)) if row else None

    def catalogue(self) -> list[dict]:
        """Every article's metadata (no text), ordered by id."""
        cols = [f for f in ARTICLE_FIELDS if f not in ("text", "raw")]
        return [dict(zip(cols, r, strict=True)) for r in self.db.execute(
            f"SELECT {', '.join(cols)} FROM articles ORDER BY id")]

    def chunk_count(self, ids: set[str]) -> int:
        """How many chunks the articles ``ids`` have."""
        return sum(n for aid, n in self.db.execute("SELECT id, n_chunks FROM articles")
                   if aid in ids)

    def texts(self) -> dict[str, str]:
        """article id -> the indexed (cleaned) text that quotes and offsets refer to."""
        return dict(self.db.execute("SELECT id, text FROM articles"))

    def links_of(self, article_id: str) -> list[tuple[str, float]]:
        return [(b, s) for b, s in self.db.execute(
            "SELECT b, score FROM links WHERE a = ? ORDER BY score DESC", (article_id,))]

    def links(self) -> list[tuple[str, str, float]]:
        return list(self.db.execute("SELECT a, b, score FROM links WHERE a < b ORDER BY a, b"))

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def fingerprint(self) -> str:
        """A digest of every article id and content hash (what the links depend on)."""
        import hashlib

        h = hashlib.sha256()
        for aid, sha in self.db.execute("SELECT id, sha256 FROM articles ORDER BY id"):
            h.update(f"{aid}\t{sha}\n".encode())
        return h.hexdigest()

    # -- writing ------------------------------------------------------------------------
    def record_file(self, file: str, sha256: str, ids: list[str]) -> None:
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                            (file, sha256, json.dumps(ids)))

    def begin(self, articles: Iterable[tuple[Article, int]]) -> None:
        """Record articles (with their chunk counts) about to be embedded; embedded marks of
        older content are dropped."""
        now = time.time()
        with self._tx():
            for a, n_chunks in articles:
                self.db.execute(
                    f"INSERT OR REPLACE INTO articles ({', '.join(ARTICLE_FIELDS)}) "
                    f"VALUES ({', '.join('?' * len(ARTICLE_FIELDS))})",
                    (a.id, file_of(a), a.source, a.sha256, a.title, a.date, a.lang, a.site,
                     a.url, a.path, n_chunks, a.text, a.raw, now))
                self.db.execute("DELETE FROM embedded WHERE article_id = ? AND sha256 != ?",
                                (a.id, a.sha256))

    def mark_embedded(self, embedder: str, articles: Iterable[tuple[str, str]]) -> None:
        with self._tx():
            self.db.executemany("INSERT OR REPLACE INTO embedded VALUES (?, ?, ?)",
                                [(aid, embedder, sha) for aid, sha in articles])

    def clear_embedder(self, embedder: str) -> None:
        with self._tx():
            self.db.execute("DELETE FROM embedded WHERE embedder = ?", (embedder,))

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self._tx():
            for table, col in (("articles", "id"), ("embedded", "article_id"),
                               ("links", "a"), ("links", "b")):
                self.db.executemany(f"DELETE FROM {table} WHERE {col} = ?",
                                    [(i,) for i in ids])

    def forget_files(self, keep: set[str]) -> None:
        """Drop the records of files no longer in the corpus."""
        with self._tx():
            gone = [f for (f,) in self.db.execute("SELECT file FROM files") if f not in keep]
            self.db.executemany("DELETE FROM files WHERE file = ?", [(f,) for f in gone])

    def set_links(self, pairs: Iterable[tuple[str, str, float]], fingerprint: str) -> None:
        """Replace every link (stored both ways) and record what they were computed from."""
        pairs = list(pairs)
        with self._tx():
            self.db.execute("DELETE FROM links")
            rows = [(a, b, s) for a, b, s in pairs] + [(b, a, s) for a, b, s in pairs]
            self.db.executemany("INSERT OR REPLACE INTO links VALUES (?, ?, ?)", rows)
            self.set_meta("links_of", fingerprint)

    def stamp_generation(self) -> None:
        """Mark the end of an ``index`` run (readers compare it to reopen the store)."""
        with self._tx():
            self.set_meta("generation", f"{time.time():.6f}")
        # the run's writes into the database file itself: a copied or read-only store is whole
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
