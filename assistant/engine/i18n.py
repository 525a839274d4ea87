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


LANG_NAMES = {"en": "English", "ru": "Russian", "de": "German", "tr": "Turkish",
              "az": "Azerbaijani", "es": "Spanish", "uk": "Ukrainian", "zh": "Chinese",
              "ar": "Arabic", "fr": "French", "ja": "Japanese", "ko": "Korean", "pl": "Polish",
              "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "hy": "Armenian",
              "ka": "Georgian", "fa": "Persian", "kk": "Kazakh", "uz": "Uzbek"}
UNSURE = 0.9  # below this detector confidence a question's language is not held against it


def unsupported(lang: str | None, score: float) -> str | None:
    """The refusal for a question clearly in a language the answerer is not calibrated for
    (its similarity scales and refusal line were set on en/ru/de/tr/az/es); None otherwise."""
    if lang is None or lang in NOT_FOUND or score < UNSURE:
        return None
    name = LANG_NAMES.get(lang, f"the language '{lang}'")
    return (f"This question looks like {name}, which this assistant does not answer in: ask "
            "it in English, Russian, German, Turkish or Azerbaijani (Spanish and Ukrainian "
            "work too).")
