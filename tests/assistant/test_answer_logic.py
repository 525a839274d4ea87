"""The answerer's logic without models: question kinds, answer spans, the short answer, the
logistic fit and the shipped model file."""

import json

import numpy as np
import pytest

from assistant.engine import questions as Q
from assistant.engine.answer import MODEL_FILE, QUESTION_NAMES, Linear, SentenceModel, short_answer
from assistant.engine.features import NAMES


@pytest.mark.parametrize("question,kind", [
    ("Who is the Secretary-General of the OTS?", "who"),
    ("Кто возглавлял делегацию Казахстана?", "who"),
    ("Wer leitete die usbekische Delegation?", "who"),
    ("TDT-nin Baş katibi kimdir?", "who"),
    ("When did the first meeting take place?", "when"),
    ("Когда прошла встреча?", "when"),
    ("Wann fand das erste Treffen statt?", "when"),
    ("Toplantı ne zaman yapıldı?", "when"),
    ("How many countries signed?", "howmany"),
    ("Сколько стран подписали декларацию?", "howmany"),
    ("Neçə ölkə iştirak edib?", "howmany"),
    ("Where did the ministers meet?", "where"),
    ("Harada görüş keçirilib?", "where"),
    ("What did the ministers discuss?", "other"),
])
def test_question_kind(question, kind):
    assert Q.kind(question) == kind


@pytest.mark.parametrize("question,sentence,expected", [
    ("Who is the Secretary-General of the Organization of Turkic States?",
     "Kubanychbek Omuraliev, Secretary-General of the Organization of Turkic States, met "
     "labour ministers in Baku.", "Kubanychbek Omuraliev"),
    ("Кто возглавлял делегацию Казахстана?",
     "Делегацию Казахстана возглавила вице-министр Виктория Шегай.", "Виктория Шегай"),
    ("When was the Shusha Declaration signed?",
     "Relations rose after the Shusha Declaration was signed on 15 June 2021.", "15 June 2021"),
    ("Сколько человек живёт в Узбекистане?", "Население Узбекистана — 36,8 млн человек.",
     "36,8 млн"),
    ("Who met in Baku?", "The ministers met in Baku.", None),  # no name that is not asked
    ("And who represented Turkmenistan?",  # a title is not a person; the name is
     "Türkiye's Minister of Labor and Deputy Minister Halbibi Tachjanova of Turkmenistan "
     "spoke.", "Halbibi Tachjanova"),
    ("Who led the Uzbek delegation?",  # nor is a German title ("dem Präsidenten")
     "Das Ministerium traf eine Delegation der Agentur unter dem Präsidenten Usbekistans unter "
     "der Leitung des stellvertretenden Vorsitzenden Jamshid Abruyev.", "Jamshid Abruyev"),
    ("2023 yılında Özbek heyetine kim başkanlık etti?",  # an acronym is not a person
     "Die Delegation besuchte die Konferenz DOST 2023 unter Leitung von Jamshid Abruyev.",
     "Jamshid Abruyev"),
    ("What did they discuss?", "They discussed pensions.", None),  # not a typed question
])
def test_short_answer_is_a_span_of_the_sentence(question, sentence, expected):
    got = short_answer(question, sentence)
    assert got == expected
    assert got is None or got in sentence


def test_logistic_fit_recovers_the_informative_feature():
    from benchmarks.fit_answerer import fit_logistic

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = (X[:, 1] + 0.3 * rng.normal(size=2000) > 1.0).astype(float)
    mean, std, coef, intercept = fit_logistic(X, y)
    assert abs(coef[1]) > 5 * max(abs(coef[0]), abs(coef[2]))
    z = Linear(mean, std, coef, intercept)(X)
    assert ((z > 0) == (y == 1)).mean() > 0.92


def test_conditional_logit_learns_which_sentence_of_a_question_wins():
    """Questions of 6 sentences each; the gold one has the highest second feature plus
    noise: the fitted selector picks it far above chance (1/6)."""
    from benchmarks.fit_answerer import fit_select

    rng = np.random.default_rng(1)
    rows = []
    for _ in range(300):
        X = rng.normal(size=(6, 3))
        y = np.zeros(6)
        y[int(np.argmax(X[:, 1] + 0.3 * rng.normal(size=6)))] = 1.0
        rows.append({"X": X, "y": y, "hard": False})
    mean, std, coef = fit_select(rows)
    select = Linear(mean, std, coef)
    hits = np.mean([r["y"][int(np.argmax(select(r["X"])))] for r in rows])
    assert hits > 0.6 and abs(coef[1]) > 3 * max(abs(coef[0]), abs(coef[2]))


def test_shipped_model_matches_the_features_and_was_fitted_on_the_fit_split():
    d = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert tuple(d["features"]) == NAMES == tuple(d["select"]["names"])
    assert tuple(d["refuse"]["names"]) == QUESTION_NAMES
    for part in ("select", "refuse"):
        assert len(d[part]["coef"]) == len(d[part]["mean"]) == len(d[part]["names"])
    assert "paragraphs 120-239" in d["fitted_on"]
    assert 0.0 < d["threshold"] < 1.0 and d["fit_split"]["false_refusals"] <= 0.06
    model = SentenceModel.load()
    # a sentence more similar to the question (e5) is never ranked lower
    i = NAMES.index("cos_e5")
    X = np.array([model.select.mean.copy(), model.select.mean.copy()])
    X[1, i] += model.select.std[i]
    logits, shares, confidence = model.scores(X)
    assert logits[1] > logits[0] and shares[1] > 0.5 and 0.0 <= confidence <= 1.0
