"""CI fails when a template shows text that is not marked for translation: every text node
and every human-read attribute (title, aria-label, placeholder, alt, value of a button) of
every template under templates/ is inside {% translate %} / {% blocktranslate %}, or is a
variable, a symbol, a number or a name on the allow-list."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR, "templates")
# Names, symbols and codes that read the same in every language.
ALLOWED = {
    "Healthscore",
    "v",
    "n",
    "×",
    "h",
    "d",
    *["NPS", "CSAT", "MRR", "ARR", "GRR", "NRR", "CSM", "ROI", "AUC", "CSV", "API"],
}
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _shown(text: str) -> bool:
    """Whether a piece of text holds a word that is not on the allow-list."""
    return any(word not in ALLOWED for word in WORD.findall(text))


_BLOCKS = [
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*blocktrans(late)?\b.*?\{%\s*endblocktrans(late)?\s*%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
]
_TAG = re.compile(r"\{%.*?%\}", re.S)
_VAR = re.compile(r"\{\{.*?\}\}", re.S)
_HTML = re.compile(r"<[^>]*>", re.S)
_READ_ATTRS = re.compile(
    r"""\b(title|aria-label|placeholder|alt)\s*=\s*(["'])(.*?)\2""", re.S | re.I
)


def _strip(text: str) -> str:
    for block in _BLOCKS:
        text = block.sub(" ", text)
    return text


def unmarked(source: str) -> list[str]:
    """The pieces of text in a template that a reader sees and that are not marked."""
    # Tags and variables first: a {% translate "…" %} inside an attribute has quotes of its own.
    text = _VAR.sub(" ", _TAG.sub(" ", _strip(source)))
    found = []
    for _name, _q, value in _READ_ATTRS.findall(text):
        if _shown(value):
            found.append(value.strip())
    text = _HTML.sub(" ", text)
    text = text.replace("&nbsp;", " ")
    for piece in re.split(r"\s{2,}|\n", text):
        piece = re.sub(r"&[a-z]+;|&#\d+;", " ", piece).strip(" ·–—:,.()/|+-=%\"'“”")
        if piece and _shown(piece):
            found.append(piece)
    return found


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_text_a_reader_sees_is_marked_for_translation(path):
    assert unmarked(path.read_text()) == [], f"{path}: mark these with {{% translate %}}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<a title="Open it">{% translate "Open" %}</a>', ["Open it"]),
        ("<p>{% translate 'Hi' %} {{ name }} · 42 %</p>", []),
        ("<p>{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}</p>", []),
        ("{% comment %}Not shown{% endcomment %}<b>Shown</b>", ["Shown"]),
        ("<script>var a = 'x';</script><span>◆</span> Healthscore", []),
    ],
)
def test_the_linter_finds_unmarked_text_and_nothing_else(source, expected):
    assert unmarked(source) == expected
