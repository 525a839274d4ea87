"""The keyword index: the chunk table and BM25 postings over it, in the store's ``keyword/``
folder (a server store's lives in the local cache, see ``remote.py``).

- ``table.sqlite``: every indexed chunk (text and metadata, looked up by id when a question
  needs it) and the articles it covers with their content hashes;
- ``ids.npy``, ``lang.npy``, ``date.npy``, ``article.npy``: per chunk position, for filter
  masks in numpy; ``*.npy`` of ``postings.Postings``: the BM25 postings.

Readers map the arrays and query the table, so a reader's memory does not grow with the
archive (100k chunks as Python objects held 3 GB). An ``index`` run updates it
incrementally: the articles whose hash changed or that are gone are dropped, new ones are
fetched from the store and tokenised; the folder is written whole beside the old one and
renamed into place, so a reader or a killed run never sees half of it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from .keyword import token_codes
from .model import Chunk, date_num
from .postings import Postings, count_pairs

VERSION = "keyword 2"  # this folder's layout and the tokeniser; another one is rebuilt
_COLUMNS = ("id", "article_id", "text", "start", "end", "lang", "date", "title", "source")
_SCHEMA = """
CREATE TABLE chunks (id TEXT PRIMARY KEY, pos INTEGER, article_id TEXT, text TEXT,
                     start INTEGER, "end" INTEGER, lang TEXT, date TEXT, title TEXT,
                     source TEXT);
CREATE TABLE articles (code INTEGER PRIMARY KEY, article_id TEXT UNIQUE, sha256 TEXT);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""
_SELECT = "SELECT " + ", ".join(f'"{c}"' for c in _COLUMNS) + " FROM chunks"
_CACHED = 20000  # chunks kept in memory after a lookup
_BATCH = 10000  # new chunks tokenised and written at a time


class KeywordIndex:
    """A saved keyword index, opened for reading (``load``)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.db = sqlite3.connect(f"file:{folder / 'table.sqlite'}?mode=ro", uri=True,
                                  check_same_thread=False)
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        self.version, self.langs = meta["version"], json.loads(meta["langs"])
        self.postings = Postings.load(folder)
        self.ids, self.lang, self.date, self.article = (
            np.load(folder / f"{n}.npy", mmap_mode="r") for n in ("ids", "lang", "date",
                                                                  "article"))
        self._cache: dict[str, Chunk] = {}
        self._article_codes: dict[str, int] | None = None

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The saved index, or None if there is none (or one of another layout)."""
        if not (folder / "table.sqlite").is_file():
            return None
        try:
            index = cls(folder)
        except (OSError, ValueError, KeyError, sqlite3.Error):
            return None
        return index if index.version.startswith(VERSION + ";") else None

    def close(self) -> None:
        """Close the table (the arrays' maps go with the object)."""
        self.db.close()

    def __len__(self) -> int:
        return len(self.ids)

    # -- lookups ----------------------------------------------------------------------------
    def chunks(self, ids) -> dict[str, Chunk]:
        """The chunks of ``ids`` that the index holds, by id."""
        out = {i: self._cache[i] for i in ids if i in self._cache}
        todo = [i for i in dict.fromkeys(ids) if i not in out]
        for n in range(0, len(todo), 900):
            part = todo[n:n + 900]
            for row in self.db.execute(f"{_SELECT} WHERE id IN ({','.join('?' * len(part))})",
                                       part):
                out[row[0]] = _chunk(row)
        if len(self._cache) > _CACHED:
            self._cache.clear()
        self._cache.update(out)
        return out

    def chunk(self, cid: str) -> Chunk | None:
        return self.chunks([cid]).get(cid)

    def all_chunks(self) -> list[Chunk]:
        return [_chunk(r) for r in self.db.execute(f"{_SELECT} ORDER BY pos")]

    def covered(self) -> dict[str, str]:
        """article id -> the content hash its chunks here were made from."""
        return dict(self.db.execute("SELECT article_id, sha256 FROM articles"))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk position."""
        return self.postings.scores(token_codes([query])[0])

    def mask(self, langs=(), since: str | None = None, until: str | None = None,
             articles=None) -> np.ndarray | None:
        """Which positions pass the filters (None: all do)."""
        ok = None
        if langs:
            codes = [i for i, lang in enumerate(self.langs) if lang in langs]
            ok = np.isin(self.lang, codes)
        if since or until:
            d = np.asarray(self.date)
            got = (d > 0) & (d >= date_num(since)) & (d <= (date_num(until) or 99999999))
            ok = got if ok is None else ok & got
        if articles is not None:
            if self._article_codes is None:
                self._article_codes = {a: c for c, a in self.db.execute(
                    "SELECT code, article_id FROM articles")}
            got = np.isin(self.article, [self._article_codes[a] for a in articles
                                         if a in self._article_codes])
            ok = got if ok is None else ok & got
        return ok


def _chunk(row) -> Chunk:
    cid, aid, text, start, end, lang, date, title, source = row
    return Chunk(id=cid, article_id=aid, text=text, start=start, end=end, lang=lang or None,
                 date=date or None, title=title, source=source)


def update_keyword_index(folder: Path, version: str, wanted: dict[str, str],
                         fetch: Callable[[list[str]], Iterable[tuple[str, Chunk]]]) -> int:
    """Bring the index in ``folder`` to the articles of ``wanted`` (id -> content hash):
    drop what changed or is gone, add what ``fetch(article ids)`` yields as (hash, chunk)
    pairs. ``version`` names what the chunks were made by (another one: rebuilt whole).
    Returns the number of chunks."""
    version = f"{VERSION}; {version}"
    old = KeywordIndex.load(folder)
    if old is not None and old.version != version:
        old.close()
        old = None
    have = old.covered() if old is not None else {}
    gone = {a for a, sha in have.items() if wanted.get(a) != sha}
    new = sorted(a for a, sha in wanted.items() if have.get(a) != sha)
    if old is not None and not gone and not new:
        n = len(old)
        old.close()
        return n
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        n = _write(tmp, version, old, gone, fetch(new))
    finally:
        if old is not None:
            old.close()
    _swap(tmp, folder)
    return n


def _write(tmp: Path, version: str, old: KeywordIndex | None, gone: set[str],
           fetched: Iterable[tuple[str, Chunk]]) -> int:
    """Write the updated index into ``tmp``; the new chunks are taken ``_BATCH`` at a time
    (table rows, token counts), so memory holds one batch of texts, not the archive."""
    if old is not None:
        shutil.copyfile(old.folder / "table.sqlite", tmp / "table.sqlite")
    db = sqlite3.connect(tmp / "table.sqlite")
    if old is None:
        db.executescript(_SCHEMA)
    old_articles = [a for (a,) in db.execute("SELECT article_id FROM articles ORDER BY code")]
    old_sha = dict(db.execute("SELECT article_id, sha256 FROM articles"))
    langs = list(old.langs) if old is not None else []
    if old is not None:
        keep = ~np.isin(old.article, [c for c, a in enumerate(old_articles) if a in gone])
        ids = [np.asarray(old.ids)[keep]]
        aids = [old_articles[c] for c in np.asarray(old.article)[keep]]
        lang, date = [np.asarray(old.lang)[keep]], [np.asarray(old.date)[keep]]
    else:
        keep, ids, aids, lang, date = np.zeros(0, bool), [], [], [], []
    n_kept = int(keep.sum())
    keys, counts, length, shas = [], [], [], {}
    n_new = 0
    with db:
        for n in range(0, len(gone), 900):
            part = sorted(gone)[n:n + 900]
            db.execute(f"DELETE FROM chunks WHERE article_id IN ({','.join('?' * len(part))})",
                       part)
        if gone:
            db.execute("UPDATE chunks SET pos = NULL")
        for batch in _batches(fetched, _BATCH):
            chunks = [c for _, c in batch]
            shas.update((c.article_id, sha) for sha, c in batch)
            langs += [x for x in dict.fromkeys(c.lang or "" for c in chunks) if x not in langs]
            db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?)",
                           [(c.id, n_kept + n_new + i, c.article_id, c.text, c.start, c.end,
                             c.lang or "", c.date or "", c.title, c.source)
                            for i, c in enumerate(chunks)])
            codes, doc = token_codes([c.title + "\n" + c.text for c in chunks])
            k, cnt = count_pairs(codes, doc + n_new)
            keys.append(k)
            counts.append(cnt)
            length.append(np.bincount(doc, minlength=len(chunks)).astype(np.int32))
            ids.append(np.array([c.id for c in chunks], dtype=str))
            aids += [c.article_id for c in chunks]
            lang.append(np.array([langs.index(c.lang or "") for c in chunks], np.uint8))
            date.append(np.array([date_num(c.date) for c in chunks], np.int32))
            n_new += len(chunks)
        all_ids = np.concatenate(ids) if ids else np.zeros(0, str)
        if gone:  # the kept chunks are renumbered
            db.executemany("UPDATE chunks SET pos = ? WHERE id = ?",
                           ((i, str(cid)) for i, cid in enumerate(all_ids[:n_kept])))
        articles = sorted({a for a in old_articles if a not in gone} | set(shas))
        db.execute("DELETE FROM articles")
        db.executemany("INSERT INTO articles VALUES (?,?,?)",
                       [(i, a, shas.get(a) or old_sha[a]) for i, a in enumerate(articles)])
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)",
                       [("version", version), ("langs", json.dumps(langs))])
    db.close()
    added = Postings.from_counts(
        np.concatenate(keys) if keys else np.zeros(0, np.uint64),
        np.concatenate(counts) if counts else np.zeros(0, np.uint16),
        np.concatenate(length) if length else np.zeros(0, np.int32))
    postings = (old.postings if old is not None else Postings.empty()).merged(keep, added)
    code_of = {a: i for i, a in enumerate(articles)}
    np.save(tmp / "ids.npy", all_ids)
    np.save(tmp / "article.npy", np.array([code_of[a] for a in aids], np.int32))
    np.save(tmp / "lang.npy", np.concatenate(lang) if lang else np.zeros(0, np.uint8))
    np.save(tmp / "date.npy", np.concatenate(date) if date else np.zeros(0, np.int32))
    postings.save(tmp)
    return len(all_ids)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _swap(tmp: Path, folder: Path) -> None:
    """Put ``tmp`` in place of ``folder`` (rename; the old one is removed after)."""
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
