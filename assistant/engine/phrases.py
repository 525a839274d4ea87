"""What the assistant says around an answer, in the question's language.

A refusal says why in the user's terms (no article in the period, language or source the
filters ask for; or none of the articles answers), and the lines the page shows beside an
answer (confidence, the closest passages, a follow-up's reading) follow the question's
language too, each said once. English is the fallback for any other language.
"""

from __future__ import annotations

from .i18n import not_found

# Each language's own name, so a refusal names a filtered language the same way in any
# sentence ("no article in Deutsch (de)").
ENDONYMS = {"en": "English", "ru": "русский", "de": "Deutsch", "tr": "Türkçe",
            "az": "Azərbaycanca", "es": "español", "uk": "українська"}

P: dict[str, dict[str, str]] = {
    "en": {
        "searching": "Searching the corpus…",
        "busy": "The index is busy (re-indexing or evaluating); your question is next…",
        "n_removed": "Sentences removed as unsupported by their sources: {n}.",
        "instructions": "Sources {sources} also contain instructions addressed to an "
                        "assistant; they were treated as text, not followed.",
        "none_period": "Not in the corpus: no indexed article is dated {period}.",
        "between": "between {since} and {until}", "after": "on or after {since}",
        "before": "on or before {until}",
        "none_lang": "Not in the corpus: no indexed article is in {langs}.",
        "none_source": "Not in the corpus: no indexed article comes from {sources}.",
        "none_together": "Not in the corpus: no indexed article matches these filters "
                         "together ({filters}).",
        "none_answers_filtered": "Not found in the corpus: none of the {n} indexed articles "
                                 "that match the filters answers this question.",
        "closest_hint": "The closest passages found are under Sources.",
        "closest_head": "Closest passages found:", "no_close": "No passage came close.",
        "refused_conf": "The best sentence found has a {pct} % chance of holding the answer: "
                        "too low to quote it as one.",
        "conf": "Confidence {level} ({pct} %): the chance that the first quoted sentence "
                "holds the answer.",
        "high": "high", "medium": "medium", "low": "low",
        "llm_conf": "Written by the LLM and verified: each sentence's names and numbers are "
                    "in the source it cites (best support {pct} %).",
        "filters": "Filters", "followup": "Follow-up, read as:", "also": "Also reported in:",
        "removed": "Removed by verification",
        "disagree": "Sources disagree:", "side_one": "{refs} says {x}",
        "side_many": "{refs} say {x}",
        "doubted": "{sources} reads like text addressed to a model, and no other source "
                   "states {x}.",
        "sources": "Sources", "question_n": "Question {n}", "undated": "undated",
        "original": "original", "open_source": "open source {n}",
        "chars": "characters {start}-{end}", "conversation": "Conversation with the news assistant",
    },
    "ru": {
        "searching": "Ищу в корпусе…",
        "busy": "Индекс занят (переиндексация или оценка); ваш вопрос следующий…",
        "n_removed": "Удалено предложений, которые не подтверждены источниками: {n}.",
        "instructions": "Источники {sources} содержат также указания, обращённые к "
                        "ассистенту; они прочитаны как текст и не выполнены.",
        "none_period": "В корпусе нет ответа: нет ни одной статьи, датированной {period}.",
        "between": "между {since} и {until}", "after": "не раньше {since}",
        "before": "не позже {until}",
        "none_lang": "В корпусе нет ответа: нет ни одной статьи на языке {langs}.",
        "none_source": "В корпусе нет ответа: нет ни одной статьи из источника {sources}.",
        "none_together": "В корпусе нет ответа: ни одна статья не подходит под все фильтры "
                         "сразу ({filters}).",
        "none_answers_filtered": "В корпусе нет ответа: ни одна из {n} статей, подходящих "
                                 "под фильтры, не отвечает на этот вопрос.",
        "closest_hint": "Ближайшие найденные фрагменты показаны в разделе «Источники».",
        "closest_head": "Ближайшие найденные фрагменты:",
        "no_close": "Близких фрагментов не нашлось.",
        "refused_conf": "Вероятность того, что лучшее найденное предложение содержит ответ, "
                        "— {pct} %: слишком мало, чтобы приводить его как ответ.",
        "conf": "Уверенность {level} ({pct} %): вероятность того, что первое "
                "процитированное предложение содержит ответ.",
        "high": "высокая", "medium": "средняя", "low": "низкая",
        "llm_conf": "Написано LLM и проверено: имена и числа каждого предложения есть в "
                    "источнике, на который оно ссылается (лучшая опора {pct} %).",
        "filters": "Фильтры", "followup": "Уточняющий вопрос, понят как:",
        "also": "Также сообщают:", "removed": "Удалено проверкой",
        "disagree": "Источники расходятся:", "side_one": "{refs} — {x}",
        "side_many": "{refs} — {x}",
        "doubted": "{sources} похоже на текст, обращённый к модели, и ни один другой "
                   "источник не называет {x}.",
        "sources": "Источники", "question_n": "Вопрос {n}", "undated": "без даты",
        "original": "оригинал", "open_source": "открыть источник {n}",
        "chars": "символы {start}-{end}", "conversation": "Разговор с новостным ассистентом",
    },
    "de": {
        "searching": "Suche im Korpus…",
        "busy": "Der Index ist belegt (Neuindexierung oder Evaluation); Ihre Frage ist als "
                "Nächstes dran…",
        "n_removed": "Entfernte Sätze, die ihre Quellen nicht stützen: {n}.",
        "instructions": "Die Quellen {sources} enthalten auch Anweisungen an einen "
                        "Assistenten; sie wurden als Text gelesen, nicht befolgt.",
        "none_period": "Nicht im Korpus: kein indexierter Artikel ist {period} datiert.",
        "between": "zwischen {since} und {until}", "after": "ab {since}",
        "before": "bis {until}",
        "none_lang": "Nicht im Korpus: kein indexierter Artikel ist auf {langs}.",
        "none_source": "Nicht im Korpus: kein indexierter Artikel stammt aus {sources}.",
        "none_together": "Nicht im Korpus: kein indexierter Artikel erfüllt alle Filter "
                         "zugleich ({filters}).",
        "none_answers_filtered": "Nicht im Korpus gefunden: keiner der {n} indexierten "
                                 "Artikel, die den Filtern entsprechen, beantwortet diese "
                                 "Frage.",
        "closest_hint": "Die nächstliegenden gefundenen Passagen stehen unter Quellen.",
        "closest_head": "Nächstliegende gefundene Passagen:",
        "no_close": "Keine Passage kam nahe.",
        "refused_conf": "Der beste gefundene Satz enthält die Antwort mit {pct} % "
                        "Wahrscheinlichkeit: zu wenig, um ihn als Antwort zu zitieren.",
        "conf": "Zuverlässigkeit {level} ({pct} %): die Wahrscheinlichkeit, dass der erste "
                "zitierte Satz die Antwort enthält.",
        "high": "hoch", "medium": "mittel", "low": "niedrig",
        "llm_conf": "Vom LLM geschrieben und geprüft: Namen und Zahlen jedes Satzes stehen in "
                    "der Quelle, die er zitiert (beste Stütze {pct} %).",
        "filters": "Filter", "followup": "Anschlussfrage, verstanden als:",
        "also": "Auch berichtet in:", "removed": "Bei der Prüfung entfernt",
        "disagree": "Die Quellen widersprechen sich:", "side_one": "{refs} nennt {x}",
        "side_many": "{refs} nennen {x}",
        "doubted": "{sources} liest sich wie ein Text an ein Sprachmodell, und keine "
                   "andere Quelle nennt {x}.",
        "sources": "Quellen", "question_n": "Frage {n}", "undated": "undatiert",
        "original": "Original", "open_source": "Quelle {n} öffnen",
        "chars": "Zeichen {start}-{end}", "conversation": "Gespräch mit dem Nachrichtenassistenten",
    },
    "tr": {
        "searching": "Derlemde aranıyor…",
        "busy": "Dizin meşgul (yeniden dizinleme veya değerlendirme); sıradaki soru sizinki…",
        "n_removed": "Kaynaklarınca desteklenmediği için çıkarılan cümle: {n}.",
        "instructions": "{sources} kaynakları bir asistana yönelik talimatlar da "
                        "içeriyor; bunlar metin olarak okundu, uygulanmadı.",
        "none_period": "Derlemde yok: {period} tarihli dizinlenmiş makale yok.",
        "between": "{since} ile {until} arası", "after": "{since} veya sonrası",
        "before": "{until} veya öncesi",
        "none_lang": "Derlemde yok: {langs} dilinde dizinlenmiş makale yok.",
        "none_source": "Derlemde yok: {sources} kaynağından dizinlenmiş makale yok.",
        "none_together": "Derlemde yok: bu filtrelerin hepsine birden uyan makale yok "
                         "({filters}).",
        "none_answers_filtered": "Derlemde bulunamadı: filtrelere uyan {n} makalenin hiçbiri "
                                 "bu soruyu yanıtlamıyor.",
        "closest_hint": "Bulunan en yakın pasajlar Kaynaklar bölümünde.",
        "closest_head": "Bulunan en yakın pasajlar:",
        "no_close": "Yakın bir pasaj bulunamadı.",
        "refused_conf": "Bulunan en iyi cümlenin yanıtı içerme olasılığı %{pct}: yanıt "
                        "olarak alıntılamak için çok düşük.",
        "conf": "Güven {level} (%{pct}): alıntılanan ilk cümlenin yanıtı içerme olasılığı.",
        "high": "yüksek", "medium": "orta", "low": "düşük",
        "llm_conf": "LLM tarafından yazıldı ve doğrulandı: her cümlenin adları ve sayıları "
                    "alıntıladığı kaynakta var (en iyi destek %{pct}).",
        "filters": "Filtreler", "followup": "Devam sorusu, şöyle anlaşıldı:",
        "also": "Ayrıca şurada:", "removed": "Doğrulamada çıkarıldı",
        "disagree": "Kaynaklar çelişiyor:", "side_one": "{refs}: {x}",
        "side_many": "{refs}: {x}",
        "doubted": "{sources} bir modele yönelik bir metin gibi görünüyor ve başka "
                   "hiçbir kaynak {x} demiyor.",
        "sources": "Kaynaklar", "question_n": "Soru {n}", "undated": "tarihsiz",
        "original": "orijinal", "open_source": "{n}. kaynağı aç",
        "chars": "karakterler {start}-{end}", "conversation": "Haber asistanıyla konuşma",
    },
    "az": {
        "searching": "Korpusda axtarılır…",
        "busy": "İndeks məşğuldur (yenidən indeksləmə və ya qiymətləndirmə); növbəti sual "
                "sizinkidir…",
        "n_removed": "Mənbələri ilə təsdiqlənmədiyi üçün çıxarılan cümlə: {n}.",
        "instructions": "{sources} mənbələrində köməkçiyə ünvanlanmış göstərişlər də "
                        "var; onlar mətn kimi oxundu, yerinə yetirilmədi.",
        "none_period": "Korpusda yoxdur: {period} tarixli indekslənmiş məqalə yoxdur.",
        "between": "{since} ilə {until} arası", "after": "{since} və sonrası",
        "before": "{until} və əvvəli",
        "none_lang": "Korpusda yoxdur: {langs} dilində indekslənmiş məqalə yoxdur.",
        "none_source": "Korpusda yoxdur: {sources} mənbəyindən indekslənmiş məqalə yoxdur.",
        "none_together": "Korpusda yoxdur: bu filtrlərin hamısına birdən uyğun məqalə yoxdur "
                         "({filters}).",
        "none_answers_filtered": "Korpusda tapılmadı: filtrlərə uyğun {n} məqalənin heç biri "
                                 "bu suala cavab vermir.",
        "closest_hint": "Tapılan ən yaxın parçalar Mənbələr bölməsindədir.",
        "closest_head": "Tapılan ən yaxın parçalar:",
        "no_close": "Yaxın parça tapılmadı.",
        "refused_conf": "Tapılan ən yaxşı cümlənin cavabı ehtiva etmə ehtimalı {pct} %: "
                        "cavab kimi sitat gətirmək üçün çox azdır.",
        "conf": "Etibarlılıq {level} ({pct} %): sitat gətirilən ilk cümlənin cavabı ehtiva "
                "etmə ehtimalı.",
        "high": "yüksək", "medium": "orta", "low": "aşağı",
        "llm_conf": "LLM tərəfindən yazılıb və yoxlanılıb: hər cümlənin adları və rəqəmləri "
                    "istinad etdiyi mənbədə var (ən yaxşı dəstək {pct} %).",
        "filters": "Filtrlər", "followup": "Əlavə sual, belə başa düşüldü:",
        "also": "Həmçinin burada:", "removed": "Yoxlamada çıxarıldı",
        "disagree": "Mənbələr bir-birinə zidd:", "side_one": "{refs}: {x}",
        "side_many": "{refs}: {x}",
        "doubted": "{sources} modelə ünvanlanmış mətnə bənzəyir və başqa heç bir mənbə {x} demir.",
        "sources": "Mənbələr", "question_n": "Sual {n}", "undated": "tarixsiz",
        "original": "orijinal", "open_source": "{n} saylı mənbəni aç",
        "chars": "simvollar {start}-{end}", "conversation": "Xəbər köməkçisi ilə söhbət",
    },
    "es": {
        "searching": "Buscando en el corpus…",
        "busy": "El índice está ocupado (reindexando o evaluando); su pregunta va a continuación…",
        "n_removed": "Frases eliminadas por no estar respaldadas por sus fuentes: {n}.",
        "instructions": "Las fuentes {sources} también contienen instrucciones "
                        "dirigidas a un asistente; se trataron como texto, no se siguieron.",
        "none_period": "No está en el corpus: ningún artículo indexado tiene fecha {period}.",
        "between": "entre {since} y {until}", "after": "desde {since}",
        "before": "hasta {until}",
        "none_lang": "No está en el corpus: ningún artículo indexado está en {langs}.",
        "none_source": "No está en el corpus: ningún artículo indexado procede de {sources}.",
        "none_together": "No está en el corpus: ningún artículo indexado cumple todos estos "
                         "filtros a la vez ({filters}).",
        "none_answers_filtered": "No se encuentra en el corpus: ninguno de los {n} artículos "
                                 "que cumplen los filtros responde a esta pregunta.",
        "closest_hint": "Los pasajes más cercanos encontrados están en Fuentes.",
        "closest_head": "Pasajes más cercanos encontrados:",
        "no_close": "Ningún pasaje se acercó.",
        "refused_conf": "La mejor frase encontrada tiene un {pct} % de probabilidad de "
                        "contener la respuesta: demasiado poco para citarla como tal.",
        "conf": "Confianza {level} ({pct} %): la probabilidad de que la primera frase citada "
                "contenga la respuesta.",
        "high": "alta", "medium": "media", "low": "baja",
        "llm_conf": "Escrito por el LLM y verificado: los nombres y números de cada frase "
                    "están en la fuente que cita (mejor apoyo {pct} %).",
        "filters": "Filtros", "followup": "Pregunta de seguimiento, entendida como:",
        "also": "También publicado en:", "removed": "Eliminado en la verificación",
        "disagree": "Las fuentes no coinciden:", "side_one": "{refs} dice {x}",
        "side_many": "{refs} dicen {x}",
        "doubted": "{sources} parece un texto dirigido a un modelo y ninguna otra fuente"
                   " dice {x}.",
        "sources": "Fuentes", "question_n": "Pregunta {n}", "undated": "sin fecha",
        "original": "original", "open_source": "abrir la fuente {n}",
        "chars": "caracteres {start}-{end}",
        "conversation": "Conversación con el asistente de noticias",
    },
    "uk": {
        "searching": "Шукаю в корпусі…",
        "busy": "Індекс зайнятий (переіндексація або оцінювання); ваше питання наступне…",
        "n_removed": "Вилучено речень, не підтверджених джерелами: {n}.",
        "instructions": "Джерела {sources} містять також вказівки, звернені до "
                        "асистента; їх прочитано як текст і не виконано.",
        "none_period": "У корпусі немає відповіді: немає жодної статті, датованої {period}.",
        "between": "між {since} і {until}", "after": "не раніше {since}",
        "before": "не пізніше {until}",
        "none_lang": "У корпусі немає відповіді: немає жодної статті мовою {langs}.",
        "none_source": "У корпусі немає відповіді: немає жодної статті з джерела {sources}.",
        "none_together": "У корпусі немає відповіді: жодна стаття не відповідає всім фільтрам "
                         "одразу ({filters}).",
        "none_answers_filtered": "У корпусі немає відповіді: жодна з {n} статей, що "
                                 "відповідають фільтрам, не відповідає на це питання.",
        "closest_hint": "Найближчі знайдені фрагменти показано в розділі «Джерела».",
        "closest_head": "Найближчі знайдені фрагменти:",
        "no_close": "Близьких фрагментів не знайшлося.",
        "refused_conf": "Імовірність того, що найкраще знайдене речення містить відповідь, "
                        "— {pct} %: замало, щоб цитувати його як відповідь.",
        "conf": "Упевненість {level} ({pct} %): імовірність того, що перше процитоване "
                "речення містить відповідь.",
        "high": "висока", "medium": "середня", "low": "низька",
        "llm_conf": "Написано LLM і перевірено: імена й числа кожного речення є в джерелі, "
                    "на яке воно посилається (найкраща опора {pct} %).",
        "filters": "Фільтри", "followup": "Уточнювальне питання, зрозуміле як:",
        "also": "Також повідомляють:", "removed": "Вилучено перевіркою",
        "disagree": "Джерела розходяться:", "side_one": "{refs} — {x}",
        "side_many": "{refs} — {x}",
        "doubted": "{sources} схоже на текст, звернений до моделі, і жодне інше джерело "
                   "не називає {x}.",
        "sources": "Джерела", "question_n": "Питання {n}", "undated": "без дати",
        "original": "оригінал", "open_source": "відкрити джерело {n}",
        "chars": "символи {start}-{end}", "conversation": "Розмова з асистентом новин",
    },
}


def say(key: str, lang: str | None, **values) -> str:
    """The phrase ``key`` in ``lang`` (English when that language has none), filled in."""
    table = P.get(lang or "en", P["en"])
    return (table.get(key) or P["en"][key]).format(**values)


def language_list(codes) -> str:
    """Languages as each names itself, with the code: "русский (ru), Deutsch (de)"."""
    return ", ".join(f"{ENDONYMS.get(c, c)} ({c})" for c in codes)


def period(lang: str | None, since: str | None, until: str | None) -> str:
    if since and until:
        return say("between", lang, since=since, until=until)
    return say("after", lang, since=since) if since else say("before", lang, until=until)


def filter_refusal(lang: str | None, empty: list[str], since: str | None, until: str | None,
                   langs, sources, described: str) -> str:
    """Why nothing can answer: ``empty`` names the filters that admit no article on their
    own ("period", "lang", "source"); none of them alone means only their combination."""
    if "period" in empty:
        return say("none_period", lang, period=period(lang, since, until))
    if "lang" in empty:
        return say("none_lang", lang, langs=language_list(langs))
    if "source" in empty:
        return say("none_source", lang, sources=", ".join(sources))
    return say("none_together", lang, filters=described)


def refusal_text(lang: str | None, filtered_articles: int | None = None) -> str:
    """"Not found in the corpus", scoped to the filtered articles when filters were set."""
    if filtered_articles is None:
        return not_found(lang)
    return say("none_answers_filtered", lang, n=filtered_articles)
