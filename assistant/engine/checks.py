"""Checks of what a user asks, shared by every front end (command line, page, HTTP API)."""

from __future__ import annotations

from corpus import UsageError

MAX_QUESTION = 2000  # characters


def check_question(question: str) -> str:
    """The question with its white space folded; UsageError when empty or too long."""
    q = " ".join((question or "").split())
    if not q:
        raise UsageError("the question is empty: type a question, e.g. "
                         "\"Who is the Secretary-General of the OTS?\".")
    if len(q) > MAX_QUESTION:
        raise UsageError(f"the question is {len(q)} characters long: keep it under "
                         f"{MAX_QUESTION}.")
    return q
