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
