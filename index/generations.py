"""Published generations of a store folder: readers never wait for a writer.

A store folder holds whole indexes side by side in ``gens/`` (each with ``chroma/``,
``manifest.sqlite``, ``keyword/``) and ``CURRENT``, which names the published one and its
stamp. An ``index`` run (holding ``.lock``) works in a folder of its own, ``gens/w<hex>``: a
copy of the published generation made when it starts (SQLite files through SQLite's backup,
so a reader's checkpoint cannot tear them), marked complete by its ``BASE`` file. A run killed
or stopped by a full disk resumes there while the published generation is still its base.
Publishing renames the folder to the next ``g<n>`` and replaces ``CURRENT`` (one atomic
rename): readers see all of a run or none of it, and never wait for it.

A reader pins the generation it opened with a shared flock on its ``.readers`` file and moves
to a newer one between questions; a generation that is neither published nor pinned is
deleted by the next publisher. A store made before generations (``chroma/`` at the top) is
read where it is until the first writer moves it into ``gens/``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from corpus import StoreError, disk_full
from corpus.jsonl import write_atomic

CURRENT = "CURRENT"
READERS = ".readers"
BASE = "BASE"
LEGACY = ("chroma", "manifest.sqlite", "manifest.sqlite-wal", "manifest.sqlite-shm",
          "keyword")


class Generations:
    def __init__(self, path: Path):
        self.path = path
        self.gens = path / "gens"

    # -- reading ----------------------------------------------------------------------
    def published(self) -> tuple[str, str] | None:
        """(folder name, stamp) of the published generation; None before the first."""
        try:
            words = (self.path / CURRENT).read_text(encoding="utf-8").split()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (words[0], words[1] if len(words) > 1 else "") if words else None

    def current(self) -> tuple[str, str]:
        """``published()``, with ("", "") before the first."""
        return self.published() or ("", "")

    def published_dir(self) -> Path:
        """The published generation's folder (the store's own folder before the first)."""
        cur = self.published()
        return self.gens / cur[0] if cur else self.path

    def pin(self) -> tuple[Path, int | None]:
        """The published generation's folder and the descriptor that pins it (a shared
        flock on its ``.readers``, which the clean-up respects) until it is closed."""
        for _ in range(50):
            cur = self.published()
            if cur is None:
                return self.path, None
            folder = self.gens / cur[0]
            try:
                fd = os.open(folder / READERS, os.O_RDONLY)
            except FileNotFoundError:
                continue  # removed as we looked: CURRENT has moved on
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                if os.stat(folder / READERS).st_ino == os.fstat(fd).st_ino:
                    return folder, fd
            except (BlockingIOError, FileNotFoundError):
                pass
            os.close(fd)
        raise StoreError(f"store {self.path} changed 50 times while being opened: try again.")

    # -- writing ----------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold ``.lock``, the one-writer-at-a-time lock; fail at once if another run has it."""
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"store {self.path} is in use by another 'index' run: wait for it to finish "
                    "or pass another folder with --store."
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            yield
        finally:
            os.close(fd)

    def begin(self, empty: bool = False) -> Path:
        """The folder an ``index`` run works in (the caller holds ``.lock``): an earlier
        run's, when it was a complete copy of what is still published, else a new copy
        (``empty``: a new empty folder, for a rebuild)."""
        self._adopt_legacy()
        self.collect()
        base = self.current()[0]
        for folder in sorted(self.gens.glob("w*")):
            if _read(folder / BASE) == base and not empty:
                return folder
            shutil.rmtree(folder, ignore_errors=True)  # a stale or half-made copy
        folder = self.gens / f"w{os.urandom(4).hex()}"
        try:
            self.make_copy(folder, base, () if empty else None)
        except sqlite3.DatabaseError as exc:
            if disk_full(exc):  # "database or disk is full": the caller says so
                raise
            raise StoreError(
                f"the store in {self.path} is damaged (its databases cannot be read): rebuild "
                "it with 'python -m assistant index --rebuild', which indexes the corpus "
                "again, or pass another folder with --store.") from None
        return folder

    def make_copy(self, folder: Path, base: str, parts: tuple[str, ...] | None = None) -> None:
        """``folder``: a copy of the published generation ``base`` (of only ``parts`` when
        given), then its ``.readers`` and ``BASE``; nothing is left of a copy that fails."""
        try:
            folder.mkdir(parents=True)
            if base:
                copy_tree(self.gens / base, folder, parts)
            (folder / READERS).touch()
            write_atomic(folder / BASE, base, durable=True)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def publish(self, folder: Path, stamp: str) -> str:
        """Make ``folder`` the published generation; returns its new name."""
        with self._publishing():
            names = [int(p.name[1:]) for p in self.gens.glob("g*") if p.name[1:].isdigit()]
            name = f"g{max(names, default=0) + 1:06d}"
            (folder / BASE).unlink(missing_ok=True)
            os.replace(folder, self.gens / name)
            write_atomic(self.path / CURRENT, f"{name} {stamp}\n", durable=True)
        self.collect()
        return name

    def finish(self, work: Path, base: tuple[str, str], stamp: str | None,
               publish: bool, wrote: bool) -> None:
        """The end of a run: publish its generation if it completed a change (a new stamp);
        drop an untouched copy; keep a half-written one for the next run to resume."""
        if publish and stamp and stamp != base[1]:
            self.publish(work, stamp)
        elif not wrote:
            shutil.rmtree(work, ignore_errors=True)

    def collect(self) -> None:
        """Delete the generations nobody reads: neither published, nor pinned, nor a run's
        work (``w*``), nor another process's copy in progress (``s*``)."""
        if not self.gens.is_dir():
            return
        with self._publishing():
            keep = self.current()[0]
            for folder in self.gens.iterdir():
                if folder.name.startswith("s") and time.time() - folder.stat().st_mtime > 3600:
                    shutil.rmtree(folder, ignore_errors=True)  # a copy its process left
                if folder.name == keep or not folder.name.startswith("g"):
                    continue
                try:
                    fd = os.open(folder / READERS, os.O_RDONLY)
                except FileNotFoundError:
                    shutil.rmtree(folder, ignore_errors=True)
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    shutil.rmtree(folder, ignore_errors=True)
                except BlockingIOError:
                    pass  # a reader still answers from it
                finally:
                    os.close(fd)

    def _adopt_legacy(self) -> None:
        """Move a store made before generations into ``gens/`` as its first."""
        if self.published() is not None or not (self.path / "chroma").is_dir():
            return
        with self._publishing():
            folder = self.gens / "g000001"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / READERS).touch()
            for name in LEGACY:
                if (self.path / name).exists():
                    os.replace(self.path / name, folder / name)
            for name in ("keyword.tmp", "keyword.old"):
                shutil.rmtree(self.path / name, ignore_errors=True)
            stamp = ""
            try:
                db = sqlite3.connect(f"file:{folder / 'manifest.sqlite'}?mode=ro", uri=True)
                row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                db.close()
                stamp = row[0] if row else ""
            except sqlite3.Error:
                pass
            write_atomic(self.path / CURRENT, f"{folder.name} {stamp}\n", durable=True)

    @contextmanager
    def _publishing(self) -> Iterator[None]:
        """Names and ``CURRENT`` change one process at a time (held for milliseconds)."""
        self.gens.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.gens / ".publish", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def copy_tree(src: Path, dst: Path, parts: tuple[str, ...] | None = None) -> None:
    """Copy a generation: SQLite databases through SQLite's backup (consistent while
    readers have them open), other files as they are; the locks and marks stay behind."""
    for item in sorted(src.iterdir()):
        name = item.name
        if (parts is not None and name not in parts) or name in (READERS, BASE) or \
                name.endswith(("-wal", "-shm", "-journal")):
            continue
        if item.is_dir():
            dst.joinpath(name).mkdir()
            copy_tree(item, dst / name)
        elif name.endswith((".sqlite", ".sqlite3")):
            source = sqlite3.connect(f"file:{item}?mode=ro", uri=True)
            target = sqlite3.connect(dst / name)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            shutil.copy2(item, dst / name)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
