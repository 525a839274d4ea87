"""Retrieval: periods named in questions, the fusion arithmetic, names across scripts."""

from datetime import date

import pytest

from assistant.engine.dates import question_period
from assistant.engine.retrieval import Evidence, Filters, Weights, fuse

TODAY = date(2026, 11, 22)
SEPT_2023 = ("2023-09-01", "2023-09-30")
DEC_2025 = ("2025-12-01", "2025-12-31")
YEAR_2025 = ("2025-01-01", "2025-12-31")


@pytest.mark.parametrize("question,period", [
    ("Who was Azerbaijan's labour minister in September 2023?", SEPT_2023),
    ("Кто был министром труда в сентябре 2023 года?", SEPT_2023),
    ("Wer war im September 2023 Arbeitsminister?", SEPT_2023),
    ("Eylül 2023'te çalışma bakanı kimdi?", SEPT_2023),
    ("2023 Eylül ayında bakan kimdi?", SEPT_2023),
    ("Sentyabr 2023-cü ildə nazir kim idi?", SEPT_2023),
    ("What happened last December?", DEC_2025),
    ("Что произошло в прошлом декабре?", DEC_2025),
    ("Was geschah im letzten Dezember?", DEC_2025),
    ("Geçen aralık ne oldu?", DEC_2025),
    ("Keçən dekabr nə oldu?", DEC_2025),
    ("What was signed in 2025?", YEAR_2025),
    ("Что подписали в 2025 году?", YEAR_2025),
    ("2025 yılında ne imzalandı?", YEAR_2025),
    ("Was wurde letztes Jahr unterzeichnet?", YEAR_2025),
    ("Что было в прошлом месяце?", ("2026-10-01", "2026-10-31")),
    ("Bu il nə baş verdi?", ("2026-01-01", "2026-12-31")),
    ("Who may attend the May 2024 summit?", ("2024-05-01", "2024-05-31")),
])
def test_periods_named_in_questions(question, period):
    assert question_period(question, TODAY) == period


@pytest.mark.parametrize("question", [
    "Who is the Secretary-General of the OTS?",
    "Who may attend the summit?",  # "may" is not a month without a year
    "How many of the 1,500 workers were hired?",
    "What EBITDA does S&P expect for 2025-2026?",  # a span of years is not one period
])
def test_questions_without_a_period(question):
    assert question_period(question, TODAY) is None


def test_fusion_zscores_each_channel_and_adds_weighted_keyword():
    ev = Evidence(
        dense={"m": {"a": 0.9, "b": 0.8, "c": 0.7}},
        sentences={"m": {"b": 0.95, "a": 0.5}},
        keyword={"c": 1.0, "d": 0.5},
        names={"d": 1.0},
    )
    dense_only = fuse(ev, Weights(keyword=0.0, sentences=0.0, names=0.0))
    assert max(dense_only, key=dense_only.get) == "a"
    assert dense_only["d"] == pytest.approx(dense_only["c"])  # unseen: the channel's floor
    with_sentences = fuse(ev, Weights(keyword=0.0, sentences=2.0, names=0.0))
    assert max(with_sentences, key=with_sentences.get) == "b"
    with_keyword = fuse(ev, Weights(keyword=10.0, sentences=0.0, names=0.0))
    assert max(with_keyword, key=with_keyword.get) == "c"
    assert set(with_keyword) == {"a", "b", "c", "d"}
    half = fuse(ev, Weights(keyword=0.0, sentences=0.0, names=0.0, models={"m": 0.5}))
    assert half["a"] == pytest.approx(dense_only["a"] / 2)
    with_names = fuse(ev, Weights(keyword=0.0, sentences=0.0, names=10.0))
    assert max(with_names, key=with_names.get) == "d"


@pytest.mark.parametrize("a,b", [
    ("Ишыкхан", "Işıkhan"), ("Ishikhan", "Işıkhan'ın"), ("Omuraliev", "Омуралиевым"),
    ("Əliyev", "Алиев"), ("Aliyev", "Алиева"), ("Jamshid", "Джамшид"), ("Abruyev", "Абруев"),
    ("Kubanychbek", "Кубанычбек"),
])
def test_name_keys_agree_across_scripts(a, b):
    from index import name_keys, names_match

    (key,) = name_keys(a)
    assert names_match(key, name_keys(b))


@pytest.mark.parametrize("a,b", [("Omuraliev", "Abruyev"), ("Aliyev", "Alimardanov"),
                                 ("Ишыкхан", "Искандер")])
def test_name_keys_keep_different_names_apart(a, b):
    from index import name_keys, names_match

    (key,) = name_keys(a)
    assert not names_match(key, name_keys(b))


# -- with the real models ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("question,lang,name", [
    ("What did Omuraliev say about the meeting?", "ru", "Омуралиев"),  # Latin -> Cyrillic
    ("Что сказал Ишыкхан о сотрудничестве?", "en", "Işıkhan"),  # Cyrillic -> Latin
    ("Anar Əliyev kiminlə görüşdü?", "ru", "Алиев"),  # Azerbaijani Latin -> Cyrillic
    ("Кого возглавлял Джамшид Абруев?", "de", "Abruyev"),
])
def test_names_are_found_across_scripts(bundled_assistant, question, lang, name):
    hits = bundled_assistant.search(question, k=3, filters=Filters(langs=(lang,)))
    assert hits and hits[0].chunk.lang == lang
    assert name in hits[0].chunk.text
    # without a filter the other script's passage is still among the first ten
    unfiltered = bundled_assistant.search(question, k=10)
    assert any(name in h.chunk.text for h in unfiltered)


@pytest.mark.slow
def test_a_period_in_the_question_narrows_the_search_to_it(bundled_assistant):
    q = "Who was Azerbaijan's labour minister in September 2023?"
    hits = bundled_assistant.search(q, k=3)
    assert hits and all("2023-09-01" <= h.chunk.date <= "2023-10-31" for h in hits)
    hits = bundled_assistant.search(q.replace("September 2023", "December 2025"), k=3)
    assert hits and all("2025-12-01" <= h.chunk.date <= "2026-01-31" for h in hits)
    # no article in the period: the period is ignored rather than answering from nothing
    assert len(bundled_assistant.search(q.replace("September 2023", "March 2019"), k=3)) == 3
    # the user's own dates win over the question's
    hits = bundled_assistant.search(q, k=3, filters=Filters(since="2025-01-01"))
    assert hits and all(h.chunk.date >= "2025-01-01" for h in hits)


@pytest.mark.slow
def test_language_filter_applies_to_every_channel(bundled_assistant):
    ev = bundled_assistant.retriever.evidence("Omuraliev", Filters(langs=("de",)))
    chunk = bundled_assistant.retriever.chunk
    found = [cid for ch in (*ev.dense.values(), *ev.sentences.values(), ev.keyword)
             for cid in ch]
    assert found and all(chunk(cid).lang == "de" for cid in found)
