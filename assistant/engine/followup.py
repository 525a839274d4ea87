"""Follow-up questions: "And who led the Uzbek delegation?" asked after another question."""

from __future__ import annotations

import re

# A question that leans on the one before: it opens with a connective ("And ...", "What
# about ...", "А что ...", "Und ...", "Peki ...", "Bəs ...") or refers back with a pronoun or
# "there/then". Such a question is retrieved as "<previous question> <question>".
_CONNECTIVE = re.compile(
    r"^\s*(and|but|also|what about|how about|and what|so|then|"
    r"и|а|но|ещё|еще|также|а что|что насчёт|что насчет|"
    r"und|aber|auch|was ist mit|wie steht es mit|"
    r"peki|ya|ve|ayrıca|bəs|və|həmçinin|yaxşı)\b",
    re.IGNORECASE,
)
_BACKREF = re.compile(
    r"\b(he|she|they|him|her|them|his|their|its|there|then|that meeting|this meeting|"
    r"он|она|они|его|её|ее|их|ему|ей|им|там|тогда|этой|этом|этого|"
    r"er|sie|ihm|ihn|ihr|ihre|ihrer|dort|damals|dabei|"
    r"o|onu|onun|onlar|onların|orada|oradaki|bunu|bunun|orda|həmin)\b",
    re.IGNORECASE,
)
MAX_CONTEXT_WORDS = 40


def is_follow_up(question: str) -> bool:
    return bool(_CONNECTIVE.search(question) or _BACKREF.search(question))


def contextual_question(question: str, previous: list[str]) -> str:
    """The text to retrieve and answer with: the question itself, or for a follow-up the
    previous question (as asked, not its own expansion) followed by this one."""
    if not previous or not is_follow_up(question):
        return question
    before = previous[-1].split()[-MAX_CONTEXT_WORDS:]
    return " ".join(before) + " " + question
