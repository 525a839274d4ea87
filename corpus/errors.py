"""The domain errors of every stage. Only the CLI and the UI turn them into messages for people."""


class AssistantError(Exception):
    """A problem the user can fix; the message is one sentence saying what and how."""

    exit_code = 1


class UsageError(AssistantError):
    """Bad input on the command line or in a request (empty question, bad flag value)."""

    exit_code = 2


class CorpusError(AssistantError):
    """The corpus folder is missing or one of its files cannot be read."""

    exit_code = 3


class StoreError(AssistantError):
    """The store is in use by another process, unwritable or inconsistent."""

    exit_code = 4


LOW_SPACE = 16 << 20  # a write that fails with less than this free on its disk: a full disk


def disk_full(exc: BaseException | None, folder=None) -> bool:
    """``exc`` (or what caused it) says a disk is full: ENOSPC, SQLite's "database or disk
    is full", or Chroma's wrapping of either; or, since Chroma can report it only as a failed
    compaction, the disk holding ``folder`` has almost no space left."""
    import errno
    import shutil

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text or "quota exceeded" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    try:
        return folder is not None and shutil.disk_usage(folder).free < LOW_SPACE
    except OSError:
        return False
