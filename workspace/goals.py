"""Goals, referrals and tagged feedback on the account page: the read its panel shows, the
forms and the writes a CSM makes there (a goal added or updated, a referral recorded).

The panel is a partial of its own (`templates/workspace/account/_goals.html`, read through the
`account_goals` template tag), so the account page includes it with one line.
"""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.dates import validate_in_window
from accounts.models import Account
from scoring.rescoring import recompute_on_commit
from signals.models import Goal, Referral
from surveys.models import Tag
from workspace.models import CheckIn

FEEDBACK_SHOWN = 10  # items of each source listed under a tag

# ---------------------------------------------------------------- forms


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["kpi", "target", "reached", "set_on", "due_on", "status"]
        widgets = {
            "set_on": forms.DateInput(attrs={"type": "date"}),
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "target": forms.NumberInput(attrs={"step": "any"}),
            "reached": forms.NumberInput(attrs={"step": "any"}),
        }

    def __init__(self, *args, account: Account, **kwargs):
        instance = kwargs.get("instance")
        kwargs.setdefault("auto_id", f"goal{instance.pk}_%s" if instance else "goal_%s")
        super().__init__(*args, **kwargs)
        self.account = account
        for name in ("set_on", "due_on"):
            self.fields[name].validators.append(validate_in_window)

    def clean(self):
        data = super().clean()
        set_on, due_on = data.get("set_on"), data.get("due_on")
        if set_on and due_on and due_on < set_on:
            self.add_error("due_on", _("The due day must be on or after the day it was set."))
        kpi = data.get("kpi")
        if kpi and due_on:
            same = Goal.objects.filter(account=self.account, kpi=kpi, due_on=due_on)
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                self.add_error("kpi", _("This account already has that KPI due on that day."))
        return data


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Referral
        fields = ["referred_on", "referred_company", "outcome"]
        widgets = {"referred_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, account: Account, **kwargs):
        kwargs.setdefault("auto_id", "referral_%s")
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["referred_on"].validators.append(validate_in_window)

    def clean_referred_on(self):
        day = self.cleaned_data["referred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A referral cannot be in the future."))
        return day

    def clean_referred_company(self):
        name = self.cleaned_data["referred_company"].strip()
        if Referral.objects.filter(account=self.account, referred_company=name).exists():
            raise forms.ValidationError(_("This account has referred that company already."))
        return name


# ---------------------------------------------------------------- services


def goal_save(*, form: GoalForm, day: date) -> Goal:
    """Add or update a goal from a valid form; the account is rescored once it is committed."""
    return _save_and_rescore(form, day)


def referral_record(*, form: ReferralForm, day: date) -> Referral:
    """Record a referral from a valid form; the account is rescored once it is committed."""
    return _save_and_rescore(form, day)


def _save_and_rescore(form: GoalForm | ReferralForm, day: date):
    with transaction.atomic():
        row = form.save(commit=False)
        row.account = form.account
        row.save()
        recompute_on_commit([form.account.pk], day)
    return row


# ---------------------------------------------------------------- the panel's read


@dataclass
class FeedbackItem:
    day: date
    source: str
    text: str
    tags: list[str]
    score: int | None = None


@dataclass
class GoalsPanel:
    account: Account
    goals: list[tuple[Goal, GoalForm]]
    goal_form: GoalForm
    referrals: list[Referral]
    referral_form: ReferralForm
    tags: list[Tag]
    tag: Tag | None
    feedback: list[FeedbackItem]
    today: date
    open: bool = False  # unfolded: after a change here, or a tag chosen

    @property
    def goals_counted(self) -> int:
        return sum(1 for goal, _ in self.goals if goal.due_on >= self.today or not goal.is_open)


def _tagged(rows, tag: Tag | None):
    rows = rows.filter(tags=tag) if tag else rows.filter(tags__isnull=False).distinct()
    return rows.prefetch_related("tags")


def feedback_items(account: Account, tag: Tag | None) -> list[FeedbackItem]:
    """The account's tickets, survey answers and check-ins carrying `tag` (any tag when None),
    newest first: three queries and one for their tags each."""
    tickets = _tagged(account.tickets.all(), tag).order_by("-opened_at")[:FEEDBACK_SHOWN]
    answers = _tagged(account.survey_responses.all(), tag).order_by("-responded_on")
    check_ins = _tagged(CheckIn.objects.filter(account=account), tag).order_by("-date")
    zone = timezone.get_current_timezone()
    items = [
        FeedbackItem(
            timezone.localtime(t.opened_at, zone).date(),
            gettext("Ticket"),
            f"{t.ticket_id} {t.subject}".strip(),
            [x.name for x in t.tags.all()],
        )
        for t in tickets
    ]
    items += [
        FeedbackItem(
            a.responded_on,
            a.get_survey_type_display(),
            a.comment,
            [x.name for x in a.tags.all()],
            a.score,
        )
        for a in answers[:FEEDBACK_SHOWN]
    ]
    items += [
        FeedbackItem(c.date, gettext("Check-in"), c.note, [x.name for x in c.tags.all()])
        for c in check_ins[:FEEDBACK_SHOWN]
    ]
    return sorted(items, key=lambda item: item.day, reverse=True)


def goals_panel(
    account: Account, *, tag_param: str = "", today: date, open_: bool = False
) -> GoalsPanel:
    """What the panel shows: goals (each with its edit form), referrals, the tag list and the
    feedback under the chosen tag."""
    tags = list(Tag.objects.order_by("name"))
    tag = next((t for t in tags if str(t.pk) == tag_param), None)
    goals = list(account.goals.order_by("due_on", "kpi"))
    return GoalsPanel(
        account=account,
        goals=[(g, GoalForm(instance=g, account=account)) for g in goals],
        goal_form=GoalForm(account=account, initial={"set_on": today}),
        referrals=list(account.referrals.order_by("-referred_on", "referred_company")[:20]),
        referral_form=ReferralForm(account=account, initial={"referred_on": today}),
        tags=tags,
        tag=tag,
        feedback=feedback_items(account, tag) if tags else [],  # no tag list, nothing tagged
        today=today,
        open=open_ or bool(tag_param),
    )


# ---------------------------------------------------------------- views


def _account_for(request, pk) -> Account:
    # Another CSM's account is a 404, as on the account page.
    return get_object_or_404(Account.objects.visible_to(request.user), pk=pk)


def _back(account: Account):
    # The section is folded unless asked open.
    return redirect(reverse("account_detail", args=[account.pk]) + "?open=goals#goals-section")


def _errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@require_POST
def goal_create(request, pk):
    account = _account_for(request, pk)
    form = GoalForm(request.POST, account=account)
    return _goal_saved(request, form, account, gettext("Goal added."))


@require_POST
def goal_update(request, pk, goal_pk):
    account = _account_for(request, pk)
    goal = get_object_or_404(Goal, pk=goal_pk, account=account)
    form = GoalForm(request.POST, instance=goal, account=account)
    return _goal_saved(request, form, account, gettext("Goal updated."))


def _goal_saved(request, form, account, done: str):
    if form.is_valid():
        try:
            goal_save(form=form, day=timezone.localdate())
        except IntegrityError:  # the same goal added twice at the same moment
            messages.error(request, gettext("This account already has that KPI due on that day."))
        else:
            messages.success(request, done)
    else:
        _errors(request, form)
    return _back(account)


@require_POST
def referral_create(request, pk):
    account = _account_for(request, pk)
    form = ReferralForm(request.POST, account=account)
    if form.is_valid():
        try:
            referral_record(form=form, day=timezone.localdate())
        except IntegrityError:
            messages.error(request, gettext("This account has referred that company already."))
        else:
            messages.success(request, gettext("Referral recorded."))
    else:
        _errors(request, form)
    return _back(account)
