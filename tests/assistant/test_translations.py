"""Faithful citations: sentences of two articles are cited together only when they are
translations; near misses (same names, another fact) are not. Real models."""

import numpy as np
import pytest

from assistant.engine import features as F
from assistant.engine.answer import ExtractiveAnswerer
from assistant.engine.retrieval import Candidate
from index import Chunk

pytestmark = pytest.mark.slow

BAKU_EN = ("Kubanychbek Omuraliev, Secretary-General of the Organization of Turkic States, met "
           "the labour ministers in Baku on 5 December.")
BAKU_RU = ("Генеральный секретарь Организации тюркских государств Кубанычбек Омуралиев 5 "
           "декабря встретился в Баку с министрами труда.")
BAKU_DE = ("Kubanychbek Omuraliev, Generalsekretär der Organisation der Turkstaaten, traf am "
           "5. Dezember in Baku die Arbeitsminister.")
ANKARA_RU = ("Генеральный секретарь Организации тюркских государств Кубанычбек Омуралиев 5 "
             "декабря подписал в Анкаре протокол.")  # same names, another place and act
BAKU_7_EN = ("Kubanychbek Omuraliev, Secretary-General of the Organization of Turkic States, met "
             "the labour ministers in Baku on 7 December.")  # another date
ABRUYEV_EN = "Jamshid Abruyev led the Uzbek delegation to Baku."
ALIYEV_EN = "Kubanychbek Omuraliev met Anar Aliyev in Baku on Saturday."
ALIYEV_RU = "Кубанычбек Омуралиев в субботу встретился в Баку с Анаром Алиевым."
ISIKHAN_DE = "Kubanychbek Omuraliev traf am Samstag in Baku Vedat Işıkhan."
LANGS = ["en", "ru", "de", "ru", "en", "en", "en", "ru", "de"]


def _sentences(texts):
    out = []
    for n, text in enumerate(texts):
        chunk = Chunk(f"a{n}#0", f"a{n}", text, 0, len(text), LANGS[n], None, "T")
        out.append(F.Sentence(Candidate(chunk, 1.0, {}, 0.0), 0, len(text), text, 1, 0))
    return out


def test_only_translations_are_grouped(embedders):
    texts = [BAKU_EN, BAKU_RU, BAKU_DE, ANKARA_RU, BAKU_7_EN, ABRUYEV_EN, ALIYEV_EN,
             ALIYEV_RU, ISIKHAN_DE]
    sents = _sentences(texts)
    qvecs = {e.name: e.encode_queries(["Who met the labour ministers?"])[0] for e in embedders}
    answerer = ExtractiveAnswerer(embedders)
    cos = F.cosines(embedders, F.SentenceVectors(), sents, qvecs)
    same = np.array([[answerer.translation(cos, sents, i, j) for j in range(len(texts))]
                     for i in range(len(texts))])
    assert same[0, 1] and same[0, 2] and same[1, 2]  # en = ru = de
    assert not same[0, 3] and not same[1, 3]  # Ankara, not Baku
    assert not same[0, 4] and not same[1, 4]  # 7 December, not 5
    assert not same[0, 5]  # another fact altogether
    assert same[6, 7]  # the same meeting with Aliyev, in English and Russian
    assert not same[6, 8] and not same[7, 8]  # another person at the same place and day
    assert (same == same.T).all()
