"""The few user-facing phrases that must follow the question's language."""

from __future__ import annotations

NOT_FOUND = {
    "en": "Not found in the corpus: none of the indexed articles answers this question.",
    "ru": "В корпусе нет ответа: ни одна из проиндексированных статей не отвечает на этот вопрос.",
    "de": "Nicht im Korpus gefunden: keiner der indexierten Artikel beantwortet diese Frage.",
    "tr": "Derlemde bulunamadı: dizinlenen makalelerin hiçbiri bu soruyu yanıtlamıyor.",
    "az": "Korpusda tapılmadı: indekslənmiş məqalələrin heç biri bu suala cavab vermir.",
    "es": "No se encuentra en el corpus: ninguno de los artículos indexados responde a esta "
    "pregunta.",
    "uk": "У корпусі немає відповіді: жодна з проіндексованих статей не відповідає на це "
    "питання.",
}


def not_found(lang: str | None) -> str:
    return NOT_FOUND.get(lang or "en", NOT_FOUND["en"])
