"""The catalogues are complete and current: `makemessages` run afresh (into a copy of the
code's catalogues) finds no message that the committed ones lack or hold in excess, and no
message of any language is left untranslated or fuzzy. CI fails otherwise."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR, "locale")
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def _messages(po: polib.POFile) -> set[tuple[str, str, str]]:
    return {(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in po if not e.obsolete}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """The catalogues as makemessages makes them now, from a copy of the committed ones (so
    that the checkout is not touched): the project's command, with its options."""
    if not shutil.which("xgettext"):
        pytest.fail("makemessages needs GNU gettext: apt-get install gettext")
    copy = tmp_path_factory.mktemp("locale")
    shutil.copytree(LOCALE, copy, dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "LOCALE_PATHS", [copy])
        call_command("makemessages", verbosity=0)
    return copy


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_catalogue_has_every_message_of_the_code_and_no_other(fresh, language):
    path = Path(language, "LC_MESSAGES", "django.po")
    committed = _messages(polib.pofile(str(LOCALE / path)))
    current = _messages(polib.pofile(str(fresh / path)))
    assert (sorted(current - committed), sorted(committed - current)) == ([], []), (
        "run `manage.py makemessages` and commit locale/"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert (untranslated, fuzzy) == ([], [])
