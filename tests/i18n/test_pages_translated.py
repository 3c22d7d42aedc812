"""The key pages in each language (those of test_pages_marked.py): no text on a page is an
English message that the language leaves untranslated, or that it translates while the page
still shows the English."""

import polib
import pytest

from tests.i18n.test_pages_marked import (
    KEPT,
    LANGUAGES,
    LATIN_WORD,
    LOCALE,
    _paths,
    _render,
    book,  # noqa: F401 - a fixture
    page_text,
    today,  # noqa: F401 - a fixture: today is 30 June 2026
)

pytestmark = pytest.mark.django_db


def _catalogue(language: str) -> dict[str, str]:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    return {e.msgid: e.msgstr for e in po if not e.msgid_plural and not e.obsolete}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_key_pages_show_no_english_message_in_another_language(book, language):  # noqa: F811
    catalogue = _catalogue(language)
    # A message the language writes as in English ("NPS") is no sign of a gap.
    english = {m for m, t in catalogue.items() if LATIN_WORD.search(m) and t != m}
    english -= KEPT
    left = {}
    for path, who in _paths(book):
        shown = set(page_text(_render(book, path, who, language)))
        found = sorted(shown & english)
        if found:
            left[path] = [(m, "in English" if catalogue[m] else "untranslated") for m in found]
    assert left == {}


def test_the_account_page_names_its_colour_in_the_readers_language(book):  # noqa: F811
    """A word that comes from data, not from a template: the colour in "Why red"."""
    alpha = book["alpha"]
    colour = alpha.snapshots.latest("date").colour
    words = {"en": "Why {}", "fr": "Pourquoi {}", "ru": "Почему {}"}
    names = {
        "fr": {"green": "vert", "yellow": "jaune", "red": "rouge"},
        "ru": {"green": "зелёный", "yellow": "жёлтый", "red": "красный"},
        "en": {"green": "green", "yellow": "yellow", "red": "red"},
    }
    for language in ("en", "fr", "ru"):
        shown = page_text(_render(book, f"/accounts/{alpha.pk}/", "csm", language))
        assert words[language].format(names[language][colour]) in shown
