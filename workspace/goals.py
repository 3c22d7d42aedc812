"""Goals, referrals and tagged feedback on the account page: the read its panel shows, the
forms and the writes a CSM makes there (a goal added or updated, a referral recorded).

The panel is a partial of its own (`templates/workspace/account/_goals.html`, read through the
`account_goals` template tag), so the account page includes it with one line.
"""

from dataclasses import dataclass
from datetime import UTC, date
from functools import lru_cache

from django import forms
from django.contrib import messages
from django.db import IntegrityError, connection, transaction
from django.db.models import DateField, DateTimeField, Exists, F, IntegerField, OuterRef, Value
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.dates import validate_in_window
from accounts.models import Account
from scoring.rescoring import recompute_on_commit
from signals.models import Goal, Referral, Ticket
from surveys.models import SurveyResponse, Tag
from workspace.account_sql import ACCOUNT_ID, account_params, account_rows
from workspace.form_markup import python_widgets
from workspace.forms import ISO_DATE
from workspace.models import CheckIn

FEEDBACK_SHOWN = 10  # items of each source listed under a tag

# ---------------------------------------------------------------- forms


class GoalForm(forms.ModelForm):
    # The page shows one for each of the account's goals: its widgets written in Python.
    default_renderer = python_widgets

    class Meta:
        model = Goal
        fields = ["kpi", "target", "reached", "set_on", "due_on", "status"]
        widgets = {
            "set_on": forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
            "due_on": forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
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
        widgets = {"referred_on": forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)}

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


def tag_list() -> list[Tag]:
    """Every tag by name: the panel's tag filter, and the tags a check-in may carry."""
    return list(Tag.objects.order_by("name"))


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


# The feedback read's columns: each source fills those it has, the others are NULL or "".
FEEDBACK_COLUMNS = ("part", "row_pk", "at", "day", "text_a", "text_b", "points", "tag_name")
BLANK = {
    "at": Value(None, output_field=DateTimeField()),
    "day": Value(None, output_field=DateField()),
    "text_a": Value(""),
    "text_b": Value(""),
    "points": Value(None, output_field=IntegerField()),
}


def _tagged_links(
    part: int, model, account: Account, tag: Tag | None, tags: int, newest: str, **columns
):
    """The tag links of the FEEDBACK_SHOWN newest (by `newest`, then id) of the account's rows
    of `model` carrying `tag` (any tag when None; `tags`: how many tags there are), a row's
    links together by tag name, as FEEDBACK_COLUMNS (`columns`: the row's fields for them).
    For any tag the links are read straight (cheaper than picking the rows first, and the page
    does it on every visit): ten rows carry at most ten links a tag, so that many hold them."""
    row = model.tags.field.m2m_field_name()
    links = model.tags.through.objects.all()
    if tag is None:
        links = links.filter(**{f"{row}__account": account})
    else:
        picked = (
            model.objects.filter(
                Exists(links.filter(**{row: OuterRef("pk")}, tag=tag)), account=account
            )
            .order_by(f"-{newest}", "-pk")
            .values("pk")[:FEEDBACK_SHOWN]
        )
        links = links.filter(**{f"{row}_id__in": picked})
    filled = {name: F(f"{row}__{field}") for name, field in columns.items()}
    return (
        links.annotate(
            part=Value(part), row_pk=F(f"{row}_id"), **{**BLANK, **filled}, tag_name=F("tag__name")
        )
        .order_by(f"-{row}__{newest}", f"-{row}_id", "tag__name")
        .values_list(*FEEDBACK_COLUMNS)[: FEEDBACK_SHOWN * max(tags, 1)]
    )


# Stands for the tag's id in the feedback read's SQL, compiled once (ACCOUNT_ID the account's).
TAG_ID = -987654322


@lru_cache(maxsize=64)
def _feedback_sql(chosen: bool, tags: int) -> tuple[tuple[str, tuple], ...]:
    """The feedback read's SQL for a chosen tag or any (`tags`: how many tags there are), its
    parameters with ACCOUNT_ID and TAG_ID in place of the ids: the ORM takes longer to compile
    the union than the database takes to run it (2 ms a page)."""
    account = Account(pk=ACCOUNT_ID)
    tag = Tag(pk=TAG_ID) if chosen else None
    tickets, answers, check_ins = (
        _tagged_links(
            0,
            Ticket,
            account,
            tag,
            tags,
            "opened_at",
            at="opened_at",
            text_a="ticket_id",
            text_b="subject",
        ),
        _tagged_links(
            1,
            SurveyResponse,
            account,
            tag,
            tags,
            "responded_on",
            day="responded_on",
            text_a="survey_type",
            text_b="comment",
            points="score",
        ),
        _tagged_links(2, CheckIn, account, tag, tags, "date", day="date", text_b="note"),
    )
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite takes no LIMIT inside a UNION: the three parts, each in its own order, in turn.
        return tuple(part.query.sql_with_params() for part in (tickets, answers, check_ins))
    # Ordered again as a whole: a UNION ALL's rows come in no promised order.
    links = tickets.union(answers, check_ins, all=True).order_by(
        "part", "-at", "-day", "-row_pk", "tag_name"
    )
    return (links.query.sql_with_params(),)


def _feedback_links(account: Account, tag: Tag | None, tags: int) -> list[tuple]:
    tag_id = tag.pk if tag else None
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for sql, params in _feedback_sql(tag is not None, tags):
            params = [tag_id if type(p) is int and p == TAG_ID else p for p in params]
            cursor.execute(sql, account_params(params, account.pk))
            rows.extend(cursor.fetchall())
    return rows


def feedback_items(account: Account, tag: Tag | None, *, tags: int) -> list[FeedbackItem]:
    """The account's tickets, survey answers and check-ins carrying `tag` (any tag when None;
    `tags`: how many tags there are), newest first: one query for the three sources."""
    links = _feedback_links(account, tag, tags)
    found: tuple[dict, ...] = ({}, {}, {})
    for part, pk, *fields, name in links:
        found[part].setdefault(pk, (fields, []))[1].append(name)
    zone = timezone.get_current_timezone()
    types = dict(SurveyResponse._meta.get_field("survey_type").flatchoices)
    shown = [list(rows.values())[:FEEDBACK_SHOWN] for rows in found]
    items = [
        FeedbackItem(
            timezone.localtime(
                at if timezone.is_aware(at) else at.replace(tzinfo=UTC), zone
            ).date(),
            gettext("Ticket"),
            f"{ticket_id} {subject}".strip(),
            names,
        )
        for (at, _, ticket_id, subject, _), names in shown[0]
    ]
    items += [
        FeedbackItem(day, str(types.get(kind, kind)), comment, names, points)
        for (_, day, kind, comment, points), names in shown[1]
    ]
    items += [
        FeedbackItem(day, gettext("Check-in"), note, names)
        for (_, day, _, note, _), names in shown[2]
    ]
    return sorted(items, key=lambda item: item.day, reverse=True)


def _goals(account):
    return account.goals.order_by("due_on", "kpi")


def _referrals(account):
    return account.referrals.order_by("-referred_on", "referred_company")[:20]


def goals_panel(
    account: Account,
    *,
    tag_param: str = "",
    today: date,
    open_: bool = False,
    tags: list[Tag] | None = None,
) -> GoalsPanel:
    """What the panel shows: goals (each with its edit form), referrals, the tag list (read
    here unless the page has read it) and the feedback under the chosen tag."""
    if tags is None:
        tags = tag_list()
    tag = next((t for t in tags if str(t.pk) == tag_param), None)
    goals = account_rows(_goals, account)  # compiled once, as the referrals
    return GoalsPanel(
        account=account,
        goals=[(g, GoalForm(instance=g, account=account)) for g in goals],
        goal_form=GoalForm(account=account, initial={"set_on": today}),
        referrals=account_rows(_referrals, account),
        referral_form=ReferralForm(account=account, initial={"referred_on": today}),
        tags=tags,
        tag=tag,
        feedback=feedback_items(account, tag, tags=len(tags))
        if tags
        else [],  # no tag list, nothing tagged
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
