"""The account page's blank forms, kept once rendered: the kept markup is what a fresh render
gives, and what it follows from (choices, language, initial values) makes another; a form sent
back with its errors is never kept."""

import re

import pytest
from django.template import engines
from django.utils import translation

from accounts.models import Role
from surveys.models import Tag
from tests.factories import AccountFactory, UserFactory
from tests.workspace.test_book import today  # noqa: F401 - autouse: 30 June 2026
from workspace.forms import CheckInForm, ReassignForm
from workspace.templatetags import blank_forms
from workspace.templatetags.blank_forms import blank_fields

CHECKIN = "workspace/account/checkin_fields.html"


@pytest.fixture(autouse=True)
def nothing_kept():
    blank_forms._kept.clear()
    yield
    blank_forms._kept.clear()


def fresh(form, partial: str) -> str:
    return engines["django"].get_template(partial).render({"form": form})


def tags_offered(html: str) -> list[str]:
    select = html.split('name="tags"')[1].split("</select>")[0]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_a_blank_form_is_rendered_once_and_reads_as_a_fresh_render(db, monkeypatch):
    Tag.objects.create(name="Billing")
    rendered = []
    real = blank_forms.get_template
    monkeypatch.setattr(
        blank_forms, "get_template", lambda name: rendered.append(name) or real(name)
    )

    first = blank_fields(CheckInForm(), CHECKIN)
    again = blank_fields(CheckInForm(), CHECKIN)

    assert first == again == fresh(CheckInForm(), CHECKIN)
    assert rendered == [CHECKIN]
    assert tags_offered(first) == ["Billing"]


def test_new_choices_or_another_language_make_another_markup(db):
    Tag.objects.create(name="Billing")
    assert tags_offered(blank_fields(CheckInForm(), CHECKIN)) == ["Billing"]
    Tag.objects.create(name="Adoption")
    assert tags_offered(blank_fields(CheckInForm(), CHECKIN)) == ["Adoption", "Billing"]

    with translation.override("fr"):
        french = blank_fields(CheckInForm(), CHECKIN)
        assert french == fresh(CheckInForm(), CHECKIN)
    assert "Canal" in french and "Canal" not in blank_fields(CheckInForm(), CHECKIN)


def test_the_reassign_list_follows_the_csms_and_the_owner(db):
    first, second = UserFactory(role=Role.CSM, first_name="Ann"), UserFactory(role=Role.CSM)
    partial = "workspace/account/reassign_fields.html"
    mine = blank_fields(ReassignForm(initial={"owner": first.pk}), partial)
    theirs = blank_fields(ReassignForm(initial={"owner": second.pk}), partial)
    assert f'<option value="{first.pk}" selected>' in mine
    assert f'<option value="{second.pk}" selected>' in theirs
    UserFactory(role=Role.CSM, first_name="Zoe")
    assert "Zoe" in blank_fields(ReassignForm(initial={"owner": first.pk}), partial)


def test_a_form_sent_back_with_errors_is_never_kept(client, csm):
    account = AccountFactory(owner=csm)
    client.force_login(csm)
    response = client.post(
        f"/accounts/{account.pk}/check-ins/", {"date": "", "channel": "call", "note": "Typed"}
    )
    assert response.status_code == 400
    assert "Typed</textarea>" in response.content.decode()
    assert CHECKIN not in {key[0] for key in blank_forms._kept}

    blank = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "Typed</textarea>" not in blank
