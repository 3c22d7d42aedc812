"""Every word of the key pages is marked for translation.

The pages (login, the book, an account page, the tasks, each report and the public survey
page) are rendered with a small book whose own data (names, products, ids) is written in Greek
letters, so that any Latin word on a page is the interface's, under a pseudo-translation: the
Russian catalogue replaced by one that wraps every message in ⟪ ⟫. A Latin word outside the
brackets is text that was never marked (a template's, or one built in Python: a column
heading, a chart's axis, a message). test_pages_translated.py renders the same pages in each
real language.
"""

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

from reports.pages import PAGES
from tests.factories import SurveySendFactory, UserFactory
from tests.workspace.test_book import customer, open_task, snap, today  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
LOCALE = Path(settings.BASE_DIR, "locale")
TOKEN = "k3Y-a-survey-link-for-the-translation-test-0123"
# Names, codes and units that read the same in every language (the glossary's "keep" list).
KEPT = {
    "Healthscore", "NPS", "CSAT", "MRR", "ARR", "GRR", "NRR", "CSM", "ROI", "ROC", "AUC",
    "CSV", "API", "SMB", "v", "n", "h", "d", "x", "ID",
}  # fmt: skip
LATIN_WORD = re.compile(r"[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ'’-]*")
# The switcher names each language in itself.
LANGUAGE_NAMES = [name for _code, name in settings.LANGUAGES]
BRACKETED = re.compile(r"⟪[^⟪⟫]*⟫")
EMAIL = re.compile(r"\S+@\S+")  # a contact's address is data


class _Text(HTMLParser):
    """The text a reader gets from a page: its text nodes, the attributes read aloud or shown
    on hover, and the words inside its charts (trace names, axis titles, notes)."""

    READ = {"title", "aria-label", "placeholder", "alt"}

    def __init__(self):
        super().__init__()
        self.pieces: list[str] = []
        self._skip = 0
        self._json = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.pieces += [v for k, v in attrs.items() if k in self.READ and v]
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.pieces.append(attrs["value"])
        if tag == "style" or (tag == "script" and attrs.get("type") != "application/json"):
            self._skip += 1
        self._json = tag == "script" and attrs.get("type") == "application/json"

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1
        self._json = False

    def handle_data(self, data):
        if self._json:
            self.pieces += _chart_words(json.loads(data))
        elif not self._skip and data.strip():
            self.pieces.append(data.strip())


def _chart_words(figure) -> list[str]:
    words = []
    for trace in figure.get("data", []):
        words += [trace.get("name") or "", trace.get("hovertemplate") or ""]
        words += [t for t in trace.get("text") or [] if isinstance(t, str)]
    layout = figure.get("layout", {})
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            words.append((axis.get("title") or {}).get("text") or "")
            words += [t for t in axis.get("ticktext") or [] if isinstance(t, str)]
    words += [a.get("text") or "" for a in layout.get("annotations", [])]
    # Plotly's own placeholders and markup are not words.
    return [re.sub(r"%\{[^}]*\}|<[^>]*>", " ", w) for w in words if w]


def page_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.pieces


def latin_outside_brackets(text: str) -> list[str]:
    rest, previous = EMAIL.sub(" ", text), None
    while rest != previous:  # a message may hold another: ⟪⟪Renewals⟫ · Reports⟫
        previous, rest = rest, BRACKETED.sub(" ", rest)
    for name in LANGUAGE_NAMES:
        rest = rest.replace(name, " ")
    return [w for w in LATIN_WORD.findall(rest) if w not in KEPT]


@pytest.fixture
def book(default_scorecard):
    """A manager and a CSM (Greek names), two accounts with MRR, a snapshot, a task and a
    survey link: every key page has something to show."""
    manager = UserFactory(username="μαρία", first_name="Μαρία", last_name="Παππά", role="manager")
    csm = UserFactory(username="νίκος", first_name="Νίκος", last_name="Ξένος", role="csm")
    alpha = customer(csm, name="Άλφα", external_id="ΑΛΦ-1", mrr="1234.50", renews_in=20)
    beta = customer(csm, name="Βήτα", external_id="ΒΗΤ-2", mrr="800")
    alpha.subscription_lines.update(product="Πυρήνας", subscription_id="σ-1")
    beta.subscription_lines.update(product="Πυρήνας", subscription_id="σ-2")
    snap(alpha, 35.0, mrr="1234.50")
    snap(beta, 82.0, mrr="800")
    open_task(alpha)
    SurveySendFactory(
        token=TOKEN,
        contact__account=alpha,
        contact__name="Ελένη",
        contact__role="Διευθύντρια",
        contact__email="eleni@example.com",
        expires_at=datetime(2199, 1, 1, tzinfo=UTC),
    )
    return {"manager": manager, "csm": csm, "alpha": alpha}


def _paths(book) -> list[tuple[str, str | None]]:
    """(path, who) for every key page; who None: anonymous."""
    alpha = book["alpha"]
    return [
        ("/login/", None),
        (f"/s/{TOKEN}/", None),
        ("/accounts/", "csm"),
        (f"/accounts/{alpha.pk}/", "csm"),
        ("/tasks/", "csm"),
        *[(f"/reports/{page.path}/?from=2026-05&to=2026-06", "manager") for page in PAGES],
    ]


def _render(book, path: str, who: str | None, language: str) -> str:
    client = Client()
    if who:
        user = book[who]
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
    if path.startswith("/s/"):
        book["alpha"].contacts.update(language=language)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["Content-Language"] == language, path
    return response.content.decode()


@pytest.fixture
def pseudo_russian(settings, tmp_path):
    """The Russian catalogue with every message wrapped in ⟪ ⟫ (placeholders kept)."""
    po = polib.pofile(str(LOCALE / "ru" / "LC_MESSAGES" / "django.po"))
    for entry in po:
        if entry.msgid_plural:
            entry.msgstr_plural = {i: f"⟪{entry.msgid_plural}⟫" for i in range(3)}
        else:
            entry.msgstr = f"⟪{entry.msgid}⟫"
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
    target = tmp_path / "ru" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po.save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path]  # setting_changed resets Django's translation caches
    yield
    settings.LOCALE_PATHS = [LOCALE]


def test_every_word_on_the_key_pages_is_marked_for_translation(book, pseudo_russian):
    unmarked = {}
    for path, who in _paths(book):
        html = _render(book, path, who, "ru")
        # One text: a message with markup in it (<b>…</b>) spans several text nodes.
        words = sorted(set(latin_outside_brackets(" ".join(page_text(html)))))
        if words:
            unmarked[path] = words
    assert unmarked == {}
