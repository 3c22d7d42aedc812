"""The Python-written widgets write what Django's widget templates write, byte for byte."""

from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation

from signals.models import Goal
from tests.factories import AccountFactory
from workspace.form_markup import python_widgets
from workspace.forms import CheckInForm, OverrideForm, SentimentForm
from workspace.goals import GoalForm, ReferralForm


class Grouped(forms.Form):
    size = forms.ChoiceField(
        choices=[("", "–"), ("Small", [("s", "S <&>"), ("m", "M")]), ("l", "L")], initial="m"
    )
    safe = forms.CharField(widget=forms.TextInput(attrs={"data-x": 'a"b', "hidden": True}))
    off = forms.CharField(required=False, widget=forms.TextInput(attrs={"data-off": False}))


def markup(form) -> list[str]:
    return [str(form[name]) for name in form.fields]


def both(make) -> tuple[list[str], list[str]]:
    django_form, python_form = make(), make()
    django_form.renderer, python_form.renderer = DjangoTemplates(), python_widgets
    return markup(django_form), markup(python_form)


@pytest.mark.parametrize("language", ["en", "ru", "fr", "lv", "bg"])
def test_the_widgets_written_in_python_are_djangos(db, csm, language):
    account = AccountFactory(owner=csm)
    goals = [
        Goal.objects.create(
            account=account,
            kpi='Seats <live> & "used"',
            target=Decimal("1234.50"),
            reached=None,
            set_on=date(2026, 6, 1),
            due_on=date(2026, 12, 31),
            status="at_risk",
        ),
        Goal.objects.create(
            account=account,
            kpi="NPS",
            target=Decimal("40"),
            reached=Decimal("0.25"),
            set_on=date(2026, 1, 2),
            due_on=date(2027, 1, 2),
            status="met",
        ),
    ]
    makers = [lambda g=g: GoalForm(instance=g, account=account) for g in goals] + [
        lambda: GoalForm(account=account, initial={"set_on": date(2026, 6, 30)}),
        lambda: GoalForm({"kpi": "x", "target": "abc", "due_on": "31/12"}, account=account),
        lambda: ReferralForm(account=account, initial={"referred_on": date(2026, 6, 30)}),
        lambda: CheckInForm(initial={"date": date(2026, 6, 30)}),
        SentimentForm,
        OverrideForm,
        Grouped,
    ]
    with translation.override(language):
        for make in makers:
            django_markup, python_markup = both(make)
            assert python_markup == django_markup
