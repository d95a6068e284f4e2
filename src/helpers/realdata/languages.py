"""Locale and language-name spellings of the real datasets mapped to ISO 639-1 codes."""

from __future__ import annotations

# Every spelling met in the mirror (upper-cased, '_' read as '-'). Decisions worth knowing:
# - BCMS (Bosnian/Croatian/Montenegrin/Serbian): its records say Locale "SR" and mix Cyrillic and
#   Latin script, so it is `sr`; sr-Latn / sr-Cyrl are the same language in two scripts.
# - ZH-Hans and ZH-Hant are both `zh` (one language, two scripts); the locale stays in the ids.
# - NO-NB (Norwegian Bokmal) is `nb`, the precise ISO 639-1 code, not the macrolanguage `no`.
# - PT, PT-BR and PT-PT are all `pt` (the RTP-LX PT file is mostly Brazilian, 53 rows European).
LOCALE_TO_LANGUAGE: dict[str, str] = {
    "AR": "ar", "BCMS": "sr", "SR": "sr", "SR-LATN": "sr", "SR-CYRL": "sr", "HR": "hr", "BS": "bs",
    "CS": "cs", "DA": "da", "DE": "de", "EN": "en", "ES": "es", "FI": "fi", "FR": "fr", "HE": "he",
    "HI": "hi", "HU": "hu", "ID": "id", "IT": "it", "JA": "ja", "KO": "ko", "NL": "nl",
    "NO-NB": "nb", "NB": "nb", "NO": "nb", "PL": "pl", "PT": "pt", "PT-BR": "pt", "PT-PT": "pt",
    "RU": "ru", "SV": "sv", "SW": "sw", "TH": "th", "TR": "tr", "UK": "uk",
    "ZH": "zh", "ZH-HANS": "zh", "ZH-HANT": "zh", "ZH-CN": "zh", "ZH-TW": "zh",
    "VI": "vi", "MT": "mt", "RO": "ro",
}

# ELTeC repositories are named with ISO 639-2/B codes
ELTEC_TO_LANGUAGE: dict[str, str] = {
    "eng": "en", "fra": "fr", "deu": "de", "spa": "es", "ita": "it", "por": "pt", "pol": "pl", "rus": "ru",
}

# values the RTP-LX `Locale` field uses for "not given"
MISSING_LOCALES = frozenset({"", "NA", "N/A", "NONE"})


class UnknownLocale(ValueError):
    """A locale spelling with no ISO 639-1 mapping."""


def locale_to_language(locale: str) -> str:
    """ISO 639-1 code of a locale such as `ZH-Hans`, `Pt-Br`, `sr_Latn` or `NO-NB`."""
    key = locale.strip().upper().replace("_", "-")
    if key in LOCALE_TO_LANGUAGE:
        return LOCALE_TO_LANGUAGE[key]
    raise UnknownLocale(f"unknown locale {locale!r}; known: {', '.join(sorted(LOCALE_TO_LANGUAGE))}")
