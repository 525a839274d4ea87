"""What a question asks for, and where a sentence holds it, in en/ru/de/tr/az (and es).

``kind`` is who / when / howmany / where / other. ``spans`` finds the candidate answers of a
kind inside a sentence (names, dates, numbers, places) as (start, end) offsets, so a short
answer is always an exact substring of its quote. Pure functions; the answerer's features
and its short answer both use them.
"""

from __future__ import annotations

import re

from anyascii import anyascii

from corpus.dates import month_regex

_KINDS = [
    ("howmany", r"\b(how many|how much|how often|how long|what (?:is|was) the (?:number|"
                r"population|share|amount|price|rate|size)|population|сколько|численност|"
                r"население|wie viele|wie viel|wie oft|wie lange|anzahl|bevölkerung|kaç|"
                r"nüfus|neçə|nə qədər|əhali|cuántos|cuántas|cuánto|cuánta)"),
    ("when", r"\b(when|what year|which year|in what year|what date|когда|в каком году|"
             r"какого числа|wann|in welchem jahr|seit wann|ne zaman|hangi yıl|hangi tarih|"
             r"nə vaxt|hansı ildə|hansı tarixdə|cuándo|en qué año|qué año)"),
    ("who", r"\b(who|whom|whose|кто|кого|кому|кем|чей|чья|wer|wen|wem|wessen|"
            r"kim(?:dir|dır|di|dı|lər|ler|in|e|i|ə)?|quién|quiénes|a quién)\b"),
    ("where", r"\b(where|in which (?:city|country|town|place)|где|куда|откуда|в каком городе|"
              r"в какой стране|wo|wohin|woher|in welcher stadt|in welchem land|nerede|"
              r"nereye|hangi şehir|hangi ülke|harada|hara|hansı şəhər|hansı ölkə|dónde|"
              r"en qué ciudad|en qué país)"),
]
_KIND = [(k, re.compile(p, re.IGNORECASE)) for k, p in _KINDS]
TYPED = ("who", "when", "howmany", "where")
_NOW = re.compile(r"\b(now|currently|current|today|at present|сейчас|теперь|в настоящее время|"
                  r"нынешн\w*|текущ\w*|jetzt|derzeit|aktuell\w*|zurzeit|heute|şu anda|şimdi|"
                  r"halen|günümüzde|mevcut|hazırda|indi|hal-hazırda|actualmente|ahora)\b",
                  re.IGNORECASE)

_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:\.|-го|th|st|nd|rd)?\s+{month_regex()}(?:\s+{_YEAR})?"
    rf"|{month_regex()}\s+\d{{1,2}}(?:,\s*{_YEAR})?|{month_regex()}\s+{_YEAR}"
    rf"|\b\d{{1,2}}\.\d{{1,2}}\.{_YEAR}\b|\b{_YEAR}(?:\s*(?:году|года|год|yılında|ildə|"
    rf"jahr))?\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.,])\d[\d\s.,]*\d(?:\s*%)?|(?<![\w.,])\d(?:\s*%)?")
_NUMBER_WORDS = re.compile(
    r"\b(?:\d[\d.,]*\s*)?(?:million|billion|thousand|hundred|млн|млрд|тыс\w*|миллион\w*|"
    r"миллиард\w*|millionen|milliarden|tausend|milyon|milyar|bin|min|mln)\b", re.IGNORECASE)
# A run of capitalised words (a name or a place), allowing short joiners inside:
# "Kubanychbek Omuraliev", "Organization of Turkic States", "Сахиль Бабаев", "al-Hasan".
_CAP = r"[A-ZА-ЯЁÄÖÜÇĞİŞƏ][\w'’.-]*"
# Words of titles and bodies, not of persons: a "who" answer is the name, not "Minister of Labor".
_TITLE = re.compile(
    r"(minist|secretar|presid|präsid|prezid|chair|deputy|director|head|agency|organi[sz]|council|"
    r"commission|committee|delegation|republic|министр|министерств|секретар|президент|"
    r"председател|заместител|глав|агентств|организац|совет|комисси|делегаци|республик|"
    r"generalsekret|vorsitz|stellvertret|behörde|agentur|delegation|bakan|sekreter|başkan|"
    r"nazir|katib|sədr|müavin|agentlik|təşkilat)", re.IGNORECASE)
_NAME = re.compile(rf"{_CAP}(?:\s+(?:(?:of|de|del|la|von|van|der|al|bin|ibn|и|и\.)\s+)?{_CAP})*")


def asks_now(question: str) -> bool:
    """The question asks about the present ("Who is the minister now?")."""
    return bool(_NOW.search(question))


def kind(question: str) -> str:
    """who / when / howmany / where / other (the first that matches)."""
    for k, pattern in _KIND:
        if pattern.search(question):
            return k
    return "other"


def _key(word: str) -> str:
    return anyascii(word).lower()[:5]


def question_words(question: str) -> set[str]:
    """Transliterated 5-letter prefixes of the question's words of 4+ letters."""
    return {_key(w) for w in re.findall(r"\w{4,}", question)}


def numbers(text: str) -> set[str]:
    """The numbers of a text, digits only ("1 200,5" -> "12005")."""
    return {digits for _, digits in number_mentions(text)} - {""}


def number_mentions(text: str) -> list[tuple[str, str]]:
    """Each number of a text as written and as digits only."""
    return [(m.group().strip(), re.sub(r"\D", "", m.group())) for m in _NUMBER.finditer(text)]


def spans(sentence: str, question: str, what: str) -> list[tuple[int, int]]:
    """Candidate answers of kind ``what`` in ``sentence``, in order, leaving out what the
    question already says (a name asked about is not its own answer)."""
    asked = question_words(question)
    asked_numbers = numbers(question)
    out: list[tuple[int, int]] = []
    if what == "when":
        out = [m.span() for m in _DATE.finditer(sentence)]
    elif what == "howmany":
        found = [m.span() for m in _NUMBER_WORDS.finditer(sentence)]
        found += [m.span() for m in _NUMBER.finditer(sentence)
                  if not re.fullmatch(_YEAR, m.group().strip())]
        out = [s for s in found if re.sub(r"\D", "", sentence[s[0]:s[1]]) not in asked_numbers
               or not re.search(r"\d", sentence[s[0]:s[1]])]
    elif what in ("who", "where"):
        said = {anyascii(w).lower() for w in re.findall(r"\w+", question)}
        for m in _NAME.finditer(sentence):
            span = _trim_asked(sentence, m.start(), m.start() + len(m.group().rstrip(".")),
                               asked, said)
            if span is None:
                continue
            for part in (_person_parts(sentence, *span) if what == "who" else [span]):
                text = sentence[part[0]:part[1]]
                if " " not in text and (part[0] == 0 or (what == "who" and text.isupper())):
                    continue  # a capitalised sentence opening, or an acronym, is no person
                out.append(part)
    return _merge(sorted(out))


_JOINER = re.compile(r"^(of|de|del|la|von|van|der|al|bin|ibn|и)$", re.IGNORECASE)


def _person_parts(sentence: str, start: int, end: int) -> list[tuple[int, int]]:
    """A run of capitalised words cut at titles and joiners ("Deputy Minister Halbibi
    Tachjanova of Turkmenistan" -> "Halbibi Tachjanova", "Turkmenistan")."""
    parts, current = [], []
    for m in re.finditer(r"[\w'’.-]+", sentence[start:end]):
        if _TITLE.search(m.group()) or _JOINER.match(m.group()):
            if current:
                parts.append(current)
            current = []
        else:
            current.append(m)
    if current:
        parts.append(current)
    return [(start + p[0].start(), start + p[-1].end()) for p in parts]


def person_like(text: str) -> bool:
    """Two to four capitalised words, none all capitals: "Jamshid Abruyev"."""
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() and not w.isupper() for w in words)


def _trim_asked(sentence: str, start: int, end: int, asked: set[str], said: set[str]
                ) -> tuple[int, int] | None:
    """The span without the words the question already says at its ends ("ОТГ Кубанычбек
    Омуралиев" -> "Кубанычбек Омуралиев"); None when nothing else is left."""
    words = [m for m in re.finditer(r"[\w'’.-]+", sentence[start:end])]

    def known(m: re.Match) -> bool:
        w = m.group().strip(".")
        return anyascii(w).lower() in said or (len(w) >= 4 and _key(w) in asked)

    while words and known(words[0]):
        words.pop(0)
    while words and known(words[-1]):
        words.pop()
    if not words:
        return None
    return start + words[0].start(), start + words[-1].end()


def _merge(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def best_span(sentence: str, question: str, what: str) -> tuple[int, int] | None:
    """The candidate answer nearest to the words the sentence shares with the question
    ("Kubanychbek Omuraliev, Secretary-General of the OTS": the name next to the title
    asked about), the first one when it shares none."""
    found = spans(sentence, question, what)
    if not found:
        return None
    asked = question_words(question)
    shared = [m.span() for m in re.finditer(r"\w{4,}", sentence) if _key(m.group()) in asked]
    if not shared:
        shared = [(0, 0)]

    def distance(span: tuple[int, int]) -> int:
        s, e = span
        return min(max(a - e, s - b, 0) for a, b in shared)

    if what == "who":  # a person's name before anything else capitalised
        return min(found, key=lambda sp: (not person_like(sentence[sp[0]:sp[1]]),
                                          distance(sp)))
    return min(found, key=distance)


def holds(sentence: str, question: str, what: str) -> bool:
    """The sentence holds something of the kind the question asks for."""
    return what not in TYPED or bool(spans(sentence, question, what))


_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompt|rules)\b|"
    r"\b(answer|reply|respond|say)\b.{0,40}\bto (every|all|any) questions?\b|"
    r"\bsystem prompt\b|игнорируй|проигнорируй|забудь\b.{0,40}инструкц|"
    r"отвечай\b.{0,40}на (все|любой|каждый) вопрос|"
    r"ignoriere\b.{0,40}anweisung|antworte\b.{0,40}auf (jede|alle) frage|"
    r"talimatlar\w* (yok say|görmezden)|"
    r"təlimatlar\w* (nəzərə alma|unut)", re.IGNORECASE)


# a word every pattern above needs: most passages hold none and skip the regular expression
_TRIGGERS = ("ignor", "disregard", "forget", "answer", "reply", "respond", "say", "system",
             "игнорир", "забудь", "отвечай", "antworte", "talimat", "təlimat")


def instruction_like(sentence: str) -> bool:
    """The sentence gives an assistant instructions (a poisoned article): it is data, and
    supports no answer."""
    low = sentence.lower().replace("i\u0307", "i")  # İ lowers to i + a dot
    return any(t in low for t in _TRIGGERS) and bool(_INSTRUCTION.search(sentence))
