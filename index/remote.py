"""A store on a Chroma server (`chroma run`, or Chroma's distributed deployment): the
vectors, the chunk texts and the manifest all live on the server, so a reader on another
machine needs only the URL.

Where things live, and why:
- vectors and chunk texts: the same per-model collections as the folder store;
- the manifest (articles with their texts, file hashes, what is embedded, same-story links,
  the generation stamp): a ``manifest`` collection, one record per row (a 1-d placeholder
  vector, the row as JSON). A mirror of it is kept as SQLite in a local cache folder and
  downloaded again only when the server's generation changes;
- the keyword index (chunk table and BM25 postings, ``keyword_index.py``): kept by each
  reader in its cache beside the mirror, and brought up to a new generation incrementally:
  only the chunks of new or changed articles are fetched from the server and tokenised.
  Chroma 1.5's full-text filter ($contains) is a substring match without ranking, and its
  sparse-vector index is refused by a local server ("not enabled in local"), so BM25 stays
  with the reader. A new reader's first open fetches every chunk once (see the README's
  table for the time at 100k).

``index`` writes vectors to the server as it goes and publishes the manifest when it ends;
a run killed half-way leaves the server's manifest as it was (vectors are upserted under
stable ids, so the next run, from any machine, redoes the rest with no duplicates). One
``index`` at a time, or N shards of one round (``shards.py``): leases on the server, renewed
while a run writes (``remote_lease.py``). Every call is retried with backoff when the server
does not answer (a restart), then fails in one sentence naming the URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from corpus import StoreError, UsageError

from .manifest import Manifest
from .pipeline import PruneRefused, refresh_keyword_index
from .remote_lease import Leases
from .shards import Shard
from .store import LAYOUT, Store

MANIFEST = "manifest"
RETRIES = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds between attempts when the server is away
_TABLES = {  # table -> (key columns, record id prefix)
    "articles": (("id",), "a"), "files": (("file",), "f"),
    "embedded": (("article_id", "embedder"), "e"), "links": (("a", "b"), "l"),
    "meta": (("key",), "m"),
}
_SERVER_ONLY = ("m:lock", "m:shard:")  # records no reader's mirror copies


def open_store(spec: str, token: str = "", tenant: str = "", database: str = "",
               cache: Path | None = None) -> Store:
    """The store ``spec`` names: a folder, or an http(s):// Chroma server."""
    if "://" in spec:
        return RemoteStore(spec, token, tenant, database, cache)
    return Store(spec)


class RemoteStore(Leases, Store):
    remote = True

    def __init__(self, url: str, token: str = "", tenant: str = "", database: str = "",
                 cache: Path | None = None, shard: Shard | None = None):
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UsageError(f"store {url!r} is not a Chroma server URL: write e.g. "
                             "http://127.0.0.1:8000 (or a folder path).")
        self.url = url.rstrip("/")
        self._host, self._ssl = parsed.hostname, parsed.scheme == "https"
        self._port = parsed.port or (443 if self._ssl else 8000)
        self._token, self._tenant, self._cache = token, tenant or "default_tenant", cache
        self._database = database or "default_database"
        key = hashlib.sha256(f"{self.url}|{self._tenant}|{self._database}".encode())
        root = cache or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) \
            / "newsqa-assistant"
        mirror = f"{self._host}-{self._port}-{key.hexdigest()[:12]}"
        if shard is not None:  # a mirror of its own: shards may run on one machine
            mirror += f"-shard{shard.i}of{shard.n}"
        super().__init__(root / "stores" / mirror)
        self.shard = shard
        self._run = os.urandom(8).hex()  # this object's lease, told apart from others'

    def __str__(self) -> str:
        return self.url

    def clone(self, shard: Shard | None = None) -> RemoteStore:
        return RemoteStore(self.url, self._token, self._tenant, self._database, self._cache,
                           shard)

    # -- the connection ---------------------------------------------------------------
    def _open_client(self):
        if self._client is None:
            import chromadb
            from chromadb.config import Settings

            headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
            self._client = self._retry(lambda: chromadb.HttpClient(
                host=self._host, port=self._port, ssl=self._ssl, headers=headers,
                tenant=self._tenant, database=self._database,
                settings=Settings(anonymized_telemetry=False)), "connect")
        return self._client

    def _retry(self, call, what: str):
        """``call()``, retried while the server does not answer (not on the first connect:
        a server that is not there at start is said at once); one sentence if it stays
        away, refuses the token, or lacks the tenant or database."""
        for pause in ((*RETRIES, None) if what != "connect" else (None,)):
            try:
                return call()
            except Exception as exc:  # noqa: BLE001 - chromadb and httpx raise many kinds
                text = f"{type(exc).__name__}: {exc}"
                if _not_found(text):
                    raise
                if _unreachable(text):
                    if pause is None:
                        raise StoreError(
                            f"the Chroma server at {self.url} does not answer ({what}): start "
                            "it (chroma run --path DIR --port N) or fix --store.") from None
                    time.sleep(pause)
                    continue
                if "Auth" in type(exc).__name__ or self._refused():
                    raise StoreError(f"the Chroma server at {self.url} refused the token: set "
                                     "ASSISTANT_STORE_TOKEN to the server's token.") from None
                if "tenant" in text.lower() or "database" in text.lower():
                    raise StoreError(f"the Chroma server at {self.url} has no tenant "
                                     f"{self._tenant!r} or database {self._database!r}: "
                                     "create them or fix store_tenant/store_database.") from None
                raise
        raise AssertionError("unreachable")

    def _refused(self) -> bool:
        """The server (or the proxy in front of it) turns our token away: Chroma's client
        loses the status of a reply that is not its own error, so ask again plainly."""
        import httpx

        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            r = httpx.get(f"{self.url}/api/v2/auth/identity", headers=headers, timeout=5)
        except httpx.HTTPError:
            return False
        return r.status_code in (401, 403)

    # -- Store methods that talk to the server, retried ---------------------------------
    def collection(self, embedder: str, version: str | None = None, kind: str = "chunks"):
        return self._retry(lambda: super(RemoteStore, self).collection(embedder, version, kind),
                           "collection")

    def add(self, *args, **kw) -> None:
        self._renew()
        self._retry(lambda: super(RemoteStore, self).add(*args, **kw), "add")

    def delete_articles(self, *args, **kw) -> None:
        self._retry(lambda: super(RemoteStore, self).delete_articles(*args, **kw), "delete")

    def drop(self, embedder: str) -> None:
        self._retry(lambda: super(RemoteStore, self).drop(embedder), "drop")

    def _query(self, *args):
        return self._retry(lambda: super(RemoteStore, self)._query(*args), "query")

    def _get(self, col, **kw) -> dict:
        return self._retry(lambda: col.get(**kw), "read")

    # -- what exists, and the manifest mirror ------------------------------------------
    def _manifest_collection(self, create: bool = False):
        def get():
            if create:
                return self.client.get_or_create_collection(MANIFEST, embedding_function=None)
            try:
                return self.client.get_collection(MANIFEST, embedding_function=None)
            except Exception as exc:  # noqa: BLE001
                if _not_found(f"{type(exc).__name__}: {exc}"):
                    return None
                raise
        return self._retry(get, "manifest")

    def _server_meta(self, key: str) -> str | None:
        col = self._manifest_collection()
        if col is None:
            return None
        got = self._retry(lambda: col.get(ids=[f"m:{key}"], include=["documents"]), "read")
        return got["documents"][0] if got["ids"] else None

    def exists(self) -> bool:
        return self._server_meta("generation") is not None

    def generation(self) -> str | None:
        """The server's generation; the local mirror is brought up to it first. A run that
        holds the lock reads its own: its mirror is ahead of the server until it publishes."""
        if self._held == "exclusive":
            return self._local_generation()
        server = self._server_meta("generation")
        if server is not None and self._local_generation() != server:
            self._refresh(server)
        return server

    def _local_generation(self) -> str | None:
        man = Store.read_manifest(self)
        return man.get_meta("generation") if man else None

    def read_manifest(self) -> Manifest | None:
        if not self.manifest_path.is_file() and self.exists():
            if self._held == "exclusive":
                self.sync()
            else:
                self._refresh(self._server_meta("generation") or "")
        return super().read_manifest()

    def _refresh(self, server: str) -> None:
        """Move this reader to the server's generation: to the local copy another process
        made of it, else to a new one made here (the keyword index copied, then updated
        with what changed) and published for the others. Nobody waits for anybody."""
        name, stamp = self.gens.current()
        if stamp != server:
            folder = self.gens.gens / f"s{os.urandom(4).hex()}"
            self.gens.make_copy(folder, name, ("keyword",))
            self.close()
            self._work = folder
            try:
                self.sync()
            finally:
                self.close()
                self._work = None
            self.gens.publish(folder, server)
        self.close()  # the next use pins the new generation

    def sync(self, keyword: bool = True) -> None:
        """Replace the local mirror with the server's manifest and bring the keyword index
        up to the server's chunks (written whole, then renamed into place)."""
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".sync")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        man = Manifest(tmp)
        col = self._manifest_collection()
        rows: dict[str, list] = {t: [] for t in _TABLES}
        for ids, docs in self.pages(col, ["documents"]) if col is not None else ():
            for rid, doc in zip(ids, docs, strict=True):
                table = next((t for t, (_, p) in _TABLES.items() if rid.startswith(p + ":")),
                             None)
                if table and not rid.startswith(_SERVER_ONLY):
                    rows[table].append(json.loads(doc) if table != "meta" else
                                       {"key": rid[2:], "value": doc})
        with man._tx():
            for table, items in rows.items():
                for row in items:
                    cols = list(row)
                    man.db.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES "
                                   f"({', '.join('?' * len(cols))})", [row[c] for c in cols])
        man.close()
        if self._manifest is not None:
            self._manifest.close()
            self._manifest, self._manifest_checked = None, False
        os.replace(tmp, self.manifest_path)
        for name in self._embedder_names()[:1] if keyword else ():
            refresh_keyword_index(self, name)

    def _embedder_names(self) -> list[str]:
        cols = self._retry(lambda: self.client.list_collections(), "list")
        names = []
        for c in cols:
            col = c if hasattr(c, "metadata") else self.client.get_collection(c)
            if col.name.startswith("chunks-") and (col.metadata or {}).get("embedder"):
                names.append(col.metadata["embedder"])
        return sorted(names)

    def publish(self) -> None:
        """Upload the local manifest's rows that the server lacks or holds otherwise, and
        remove those it no longer has; the generation goes last. One shard's run publishes
        only the rows it owns, and no generation (``remote_lease.py``)."""
        man = self.manifest
        col = self._manifest_collection(create=True)
        have: dict[str, str] = {}
        for ids, metas in self.pages(col, ["metadatas"]):
            have.update({i: (m or {}).get("h", "") for i, m in zip(ids, metas, strict=True)
                         if self._owned(i)})
        want = {i: d for i, d in _rows(man) if self._owned(i)}
        changed = [(i, d) for i, d in want.items() if have.get(i) != _digest(d)]
        for n in range(0, len(changed), 500):
            part = changed[n:n + 500]
            self._retry(lambda part=part: col.upsert(
                ids=[i for i, _ in part], documents=[d for _, d in part],
                embeddings=np.zeros((len(part), 1), np.float32),
                metadatas=[{"h": _digest(d)} for _, d in part]), "publish")
        gone = [i for i in have if i not in want and not i.startswith(("m:lock",
                                                                          "m:generation"))]
        for n in range(0, len(gone), 500):
            self._retry(lambda n=n: col.delete(ids=gone[n:n + 500]), "publish")
        if self._whole():
            gen = man.get_meta("generation") or str(time.time())
            self._put(col, "m:generation", gen, {"h": _digest(gen)}, "publish")

    def _owned(self, rid: str) -> bool:
        """Whether this run publishes the manifest record ``rid``: all of them, or a shard's
        articles and their embedded marks, the file records (every shard reads the whole
        corpus, so theirs agree) and the layout."""
        if self._whole():
            return True
        if rid.startswith(("a:", "e:")):
            return self.shard.owns(rid[2:].split("\t")[0])
        return rid.startswith("f:") or rid == "m:layout"

    def _start_layout(self, man: Manifest) -> None:
        """A shard never empties the store: the other shards write it too."""
        if self._whole():
            return super()._start_layout(man)
        if man.ids():
            raise StoreError(f"the store at {self.url} was written with another layout: run "
                             "one 'index' without --shard first (it re-indexes it), then the "
                             "shards.")
        man.set_meta("layout", LAYOUT)

    # -- one writer at a time, or the shards of one round ------------------------------
    @contextmanager
    def locked(self, exclusive: bool, empty: bool = False) -> Iterator[None]:
        if not exclusive or self._held == "exclusive":
            with super().locked(exclusive):
                yield
            return
        with super().locked(True, empty):
            self._take_lease()
            try:
                server = self._server_meta("generation")
                if self._local_generation() != server:
                    self.sync(keyword=self.shard is None)  # start from what the server holds
                try:
                    yield
                except PruneRefused:  # the run completed all but the removals
                    self._publish_run(server or "")
                    raise
                self._publish_run(server or "")
            finally:
                self._release_lease()

    def _publish_run(self, base: str) -> None:
        self.publish()
        if not self._whole():
            self._shard_published(base)


def _rows(man: Manifest) -> Iterator[tuple[str, str]]:
    """(record id, document) of every manifest row a server keeps (not the generation)."""
    for table, (keys, prefix) in _TABLES.items():
        cur = man.db.execute(f"SELECT * FROM {table}")
        cols = [d[0] for d in cur.description]
        for r in cur:
            row = dict(zip(cols, r, strict=True))
            if table != "meta":
                yield f"{prefix}:" + "\t".join(str(row[k]) for k in keys), json.dumps(
                    row, ensure_ascii=False)
            elif row["key"] not in ("lock", "generation"):
                yield f"m:{row['key']}", row["value"]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _not_found(text: str) -> bool:
    return "NotFound" in text or "does not exist" in text


def _unreachable(text: str) -> bool:
    return any(s in text for s in ("ConnectError", "ConnectionError", "Connection refused",
                                   "RemoteProtocolError", "ReadError", "ReadTimeout",
                                   "Could not connect", "Server disconnected",
                                   "ConnectTimeout", "nodename nor servname",
                                   "Name or service not known"))
