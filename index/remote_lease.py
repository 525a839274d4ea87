"""Who writes a server store (``remote.py``): leases, and the rounds of sharded runs.

Records in the server's ``manifest`` collection, none of them copied into a reader's mirror:
- ``m:lock``: the lease of a whole ``index`` run (or of the shard that ends a round), renewed
  while it writes; ``m:lock:I/N``: the lease of shard I of N. A run is refused while another
  run's live lease conflicts: a whole run with any other, a shard with a whole run, with
  another run of the same shard, or with shards of another N. A lease whose process died on
  this machine is taken over; one from elsewhere expires after ``LEASE_S``.
- ``m:shard:I/N``: shard I of N has published its rows, starting from generation ``base``.
  The shard that finds all N of one base (each writes its own before it looks, so the last
  one always does) links every article and publishes the generation; a whole run's publish
  removes the records of an unfinished round.
"""

from __future__ import annotations

import json
import os
import socket
import time

import numpy as np

from corpus import StoreError

LEASE_S = 300.0  # an index run's lease; renewed while it writes
WHOLE = "m:lock"


class Leases:
    """Mixed into RemoteStore: needs ``_retry``, ``_manifest_collection``, ``_held``,
    ``shard``, ``url``, ``sync``, ``manifest``, ``publish``."""

    _lease_until = 0.0
    _finishing = False  # this shard run ends its round (holds the whole lease)
    shards_done = 0  # shards of this run's round finished when it published

    def _whole(self) -> bool:
        """This run writes as a whole run does (not one shard's part)."""
        return self.shard is None or self._finishing

    def _lease_id(self) -> str:
        return WHOLE if self._whole() else f"{WHOLE}:{self.shard}"

    def _records(self, col, kind: str) -> dict[str, dict]:
        where = {"kind": kind}
        got = self._retry(lambda: col.get(where=where, include=["documents"]), "lock")
        if kind == "lease":  # a lease written before leases were marked
            old = self._retry(lambda: col.get(ids=[WHOLE], include=["documents"]), "lock")
            got = {k: got[k] + old[k] for k in ("ids", "documents")}
        return {i: json.loads(d) for i, d in zip(got["ids"], got["documents"], strict=True)}

    def _conflict(self, col) -> str | None:
        """The first live lease another run holds that this one may not run beside."""
        mine = self._lease_id()
        for rid, lease in self._records(col, "lease").items():
            if lease["until"] <= time.time() or lease["run"] == self._run or \
                    _dead(lease["host"], lease["pid"]):
                continue
            theirs = rid[len(WHOLE) + 1:]  # "" for a whole run, else "I/N"
            if self.shard is not None and theirs and rid != mine and \
                    theirs.split("/")[1] == str(self.shard.n):
                continue  # another shard of this round (ending it too, when this one does)
            who = f"{lease['host']}, pid {lease['pid']}"
            what = f"shard {theirs}" if theirs else "another 'index' run"
            return f"the store at {self.url} is in use by {what} ({who}): wait for it to finish."
        return None

    def _take_lease(self) -> None:
        col = self._manifest_collection(create=True)
        if (conflict := self._conflict(col)) is not None:
            raise StoreError(conflict)
        self._renew(force=True)
        if not self._whole():  # this shard is not done until this run publishes
            self._retry(lambda: col.delete(ids=[f"m:shard:{self.shard}"]), "lock")

    def _renew(self, force: bool = False) -> None:
        if not force and (self._held != "exclusive" or
                          time.time() < self._lease_until - LEASE_S / 2):
            return
        self._lease_until = time.time() + LEASE_S
        doc = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "run": self._run,
                          "until": self._lease_until})
        self._put(self._manifest_collection(create=True), self._lease_id(), doc,
                  {"kind": "lease"}, "lock")

    def _put(self, col, rid: str, doc: str, meta: dict, what: str) -> None:
        """One record of the manifest collection (its vector a 1-d placeholder)."""
        self._retry(lambda: col.upsert(ids=[rid], documents=[doc], metadatas=[meta],
                                       embeddings=np.zeros((1, 1), np.float32)), what)

    def _release_lease(self) -> None:
        col = self._manifest_collection(create=True)
        self._retry(lambda: col.delete(ids=[self._lease_id()]), "lock")
        self._lease_until = 0.0

    def _shard_published(self, base: str) -> None:
        """This shard's rows are on the server: record it; the last shard of the round
        links every article and publishes the generation readers follow."""
        col = self._manifest_collection(create=True)
        doc = json.dumps({"base": base, "host": socket.gethostname(), "pid": os.getpid(),
                          "at": time.time()})
        self._put(col, f"m:shard:{self.shard}", doc, {"kind": "shard"}, "lock")
        done = [rid for rid, rec in self._records(col, "shard").items()
                if rid.endswith(f"/{self.shard.n}") and rec["base"] == base]
        self.shards_done = len(done)
        if len(done) < self.shard.n:
            return  # the last shard to end ends the round
        self._release_lease()
        self._finishing = True
        try:
            try:
                self._take_lease()
            except StoreError:  # another run ends it (or a whole run began): its lease stays
                return
            try:
                self._end_round()
            finally:
                self._release_lease()
        finally:
            self._finishing = False

    def _end_round(self) -> None:
        from .pipeline import refresh_links

        self.sync(keyword=False)  # every shard's rows
        refresh_links(self, self._embedder_names())
        self.manifest.stamp_generation()
        self.publish()  # a whole publish: links, the generation, the round's records gone


def _dead(host: str, pid: int) -> bool:
    """The lease's run was on this machine and its process is gone (killed): take over."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
