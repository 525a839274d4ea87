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


ELLIPSIS_WORDS = 3  # "And Turkmenistan?", "Und Kasachstan?": the previous question, re-aimed
_CAPITALISED = re.compile(r"\b[A-ZА-ЯЁÄÖÜÇĞİŞƏ][\w'’-]{2,}")


def needs_antecedent(question: str) -> bool:
    """A pronoun or "there/then" that the previous turn must resolve."""
    return bool(_BACKREF.search(_strip_connective(question)))


def contextual_question(question: str, previous: list[str],
                        previous_answer: str | None = None) -> str:
    """The follow-up as a standalone question, so that it is retrieved and answered as if
    asked alone (the previous question's passages must not crowd out its own):

    - a full question after a connective ("And who led the Uzbek delegation?") stands alone:
      the connective goes;
    - an ellipsis ("And Turkmenistan?", up to three words) re-aims the previous question: its
      first name (or year) is replaced, else the words are added to it;
    - a pronoun or "there/then" ("What did he say about DOST?") gets what it refers to: the
      previous answer's short answer (``previous_answer``, "he" = the person it named) and the
      previous question's names: "What did he say about DOST? (Oguzhan Hasipoglu)".
    A question that is not a follow-up, or has no previous question, is returned as it is."""
    if not previous or not is_follow_up(question):
        return question
    before = " ".join(previous[-1].split()[-MAX_CONTEXT_WORDS:])
    rest = _strip_connective(question)
    if _BACKREF.search(rest):
        names = [w for w in dict.fromkeys(_CAPITALISED.findall(before))
                 if w not in rest and w != before.split()[0]]
        if previous_answer:
            names = [previous_answer, *[n for n in names if n not in previous_answer]]
        return f"{rest} ({' '.join(names)})" if names else f"{before} {rest}"
    if len(rest.rstrip("?!. ").split()) <= ELLIPSIS_WORDS:
        return _reaim(before, rest)
    return rest


def _reaim(before: str, rest: str) -> str:
    """The previous question with the ellipsis's name or year in place of its own."""
    words = rest.rstrip("?!. ")
    year = re.search(r"\b(19|20)\d\d\b", words)
    if year and re.search(r"\b(19|20)\d\d\b", before):
        return re.sub(r"\b(19|20)\d\d\b", year.group(), before, count=1)
    first = before.split()[0]
    own = [m for m in _CAPITALISED.finditer(before)
           if m.group() != first and not m.group().isupper()]
    if own and _CAPITALISED.fullmatch(words.split()[-1]):
        m = own[0]
        return before[:m.start()] + words + before[m.end():]
    return f"{before} {rest}"


def _strip_connective(question: str) -> str:
    m = _CONNECTIVE.match(question)
    if not m:
        return question.strip()
    rest = question[m.end():].lstrip(" ,;:-—")
    return rest[:1].upper() + rest[1:] if rest else question.strip()
