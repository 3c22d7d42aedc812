"""Pages: thin views over the selectors in `book` and `workspace` and the services they name."""

from dataclasses import replace
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, Role, Segment, User
from scoring.exporting import csv_download
from workspace import account_page as workspace
from workspace.book import (
    COLOURS,
    BookFilters,
    book_figures,
    book_queryset,
    latest_snapshot_day,
    not_yet_count,
    with_bands,
)
from workspace.charts import score_history, version_marks
from workspace.contacts import contact_save, contacts_listed
from workspace.followups import task_complete, task_snooze, tasks_complete, tasks_snooze
from workspace.forms import (
    CheckInForm,
    ContactForm,
    OverrideForm,
    ReassignForm,
    SentimentForm,
    TaskBulkForm,
    TaskCompleteForm,
    TaskSnoozeForm,
)
from workspace.goals import tag_list
from workspace.models import Task, TaskReason, TaskStatus
from workspace.task_list import DUES, STATUSES, TaskFilters, actionable_tasks, visible_tasks
from workspace.templatetags.health import BADGES, COLOUR_WORDS, person
from workspace.timeline import KINDS, TimelineQuery, timeline_page

PAGE_SIZE = 50
CENTS = Decimal("0.01")


def home(request):
    return redirect("account_list")


def account_list(request):
    """The book: "My book" for a CSM, "All accounts" for managers, as a traffic-light list."""
    today = timezone.localdate()
    filters = BookFilters.from_query(request.GET)
    visible = book_queryset(request.user, today=today, not_yet=filters.not_yet)
    accounts = filters.apply(visible, today=today)
    if request.GET.get("format") == "csv":
        day = latest_snapshot_day(today)
        return _book_csv(accounts, day, spreadsheet=request.GET.get("spreadsheet") == "1")
    # The strip counts every colour under the other filters, so it doubles as colour tabs...
    strip = replace(filters, colour="").apply(visible, today=today)
    day, summary = book_figures(strip, today=today)
    paginator = Paginator(accounts, PAGE_SIZE)
    # ...and holds the paginator's count: no second pass over the book.
    paginator.count = sum(s["n"] for s in summary if s["colour"] == (filters.colour or s["colour"]))
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = with_bands(list(page.object_list))
    # The not-yet-active card's count, under the same filters but the colour.
    not_yet = (
        paginator.count
        if filters.not_yet
        else not_yet_count(
            replace(filters, colour="").apply(
                book_queryset(request.user, today=today, not_yet=True), today=today
            )
        )
    )
    context = {
        "page": page,
        "not_yet": not_yet,
        "filters": filters,
        "day": day,
        "summary": summary,
        "colour_labels": [(c, f"{BADGES[c][1]} ({COLOUR_WORDS[c]})") for c in COLOURS],
        "segments": Segment.choices,
        "owners": User.objects.filter(role=Role.CSM, is_active=True).order_by("username")
        if request.user.sees_all_accounts
        else [],
        "query": filters.without("page"),
        "sort_params": filters.without("sort"),
        "sort_label": SORT_LABELS.get(filters.sort, filters.sort),
    }
    return render(request, "workspace/account_list.html", context)


# The book's sort keys by their column headings, for the table's caption.
SORT_LABELS = {
    "name": _("Account"), "colour": _("Health"), "score": _("Score"), "trend7": _("7 days"),
    "trend30": _("30 days"), "coverage": _("Data"), "mrr": "MRR", "renewal": _("Renewal"),
    "owner": _("Owner"), "tasks": _("Tasks"),
}  # fmt: skip


def _book_csv(accounts, day, *, spreadsheet: bool) -> HttpResponse:
    response, writer = csv_download(f"book-{day or 'empty'}", spreadsheet=spreadsheet)
    writer.writerow(
        [
            "external_id",
            "name",
            "owner",
            "segment",
            "colour",
            "override",
            "score",
            "trend_7d",
            "trend_30d",
            "coverage",
            "mrr",
            "renewal_on",
            "open_tasks",
        ]
    )
    for a in accounts.iterator(chunk_size=2000):
        writer.writerow(
            [
                a.external_id,
                a.name,
                a.owner.username if a.owner else "",
                a.segment,
                a.colour,
                "yes" if a.override_colour else "",
                _blank(a.score),
                _blank(a.trend7),
                _blank(a.trend30),
                _blank(a.coverage),
                # SQLite hands back Decimal("1000") where PostgreSQL gives "1000.00".
                "" if a.mrr is None else Decimal(a.mrr).quantize(CENTS),
                a.renewal_on or "",
                a.open_tasks,
            ]
        )
    return response


def _blank(value):
    return "" if value is None else (round(value, 1) if isinstance(value, float) else value)


def _account_for(request, pk) -> Account:
    # Another CSM's account is a 404, not a 403: its existence is not theirs to know.
    return get_object_or_404(
        Account.objects.visible_to(request.user).select_related("owner"), pk=pk
    )


def account_detail(request, pk):
    return _account_page(request, _account_for(request, pk))


def _account_page(request, account: Account, *, status: int = 200, **bound) -> HttpResponse:
    """The account page; a form sent with errors comes back bound (its errors beside its fields,
    what was typed kept) in place of the blank one, with a 400."""
    today = timezone.localdate()
    overview = workspace.account_overview(account, today=today)
    chart = score_history(
        [(d, s) for d, s, _ in overview.history],
        bands=overview.bands,
        version_changes=version_marks([(d, v) for d, _, v in overview.history]),
    )
    forms = {
        "checkin_form": CheckInForm(initial={"date": today}),
        "sentiment_form": SentimentForm(),
        "override_form": OverrideForm(),
        "contact_form": ContactForm(account=account),
        "reassign_form": ReassignForm(initial={"owner": account.owner_id})
        if request.user.sees_all_accounts
        else None,
    }
    forms.update(bound)
    tags = tag_list()  # one read for the check-in form and the goals panel
    forms["checkin_form"].offer(tags)
    context = {
        "account": account,
        "o": overview,
        "chart": chart,
        "today": today,
        "contacts": contacts_listed(account),
        "failed": next(iter(bound), ""),  # the form to open and scroll to
        "tags": tags,
        **forms,
    }
    return render(request, "workspace/account_detail.html", context, status=status)


def _refused(request, account, name: str, form) -> HttpResponse:
    return _account_page(request, account, status=400, **{name: form})


@require_POST
def checkin_create(request, pk):
    account = _account_for(request, pk)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, "checkin_form", form)
    workspace.checkin_log(
        account=account,
        author=request.user,
        day=form.cleaned_data["date"],
        channel=form.cleaned_data["channel"],
        note=form.cleaned_data["note"],
        tags=form.cleaned_data["tags"],
    )
    messages.success(request, _("Check-in logged."))
    return redirect("account_detail", pk=account.pk)


@require_POST
def sentiment_create(request, pk):
    account = _account_for(request, pk)
    form = SentimentForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, "sentiment_form", form)
    workspace.sentiment_record(
        account=account,
        author=request.user,
        day=timezone.localdate(),
        sentiment=form.cleaned_data["sentiment"],
        note=form.cleaned_data["note"],
    )
    messages.success(request, _("Sentiment recorded; the score is being updated."))
    return redirect("account_detail", pk=account.pk)


@require_POST
def override_create(request, pk):
    account = _account_for(request, pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, "override_form", form)
    workspace.override_set(
        account=account, author=request.user, day=timezone.localdate(), **form.cleaned_data
    )
    until = date_format(form.cleaned_data["expires_on"], "DATE_FORMAT")
    messages.success(request, _("Colour overridden until %(day)s.") % {"day": until})
    return redirect("account_detail", pk=account.pk)


@require_POST
def override_delete(request, pk):
    account = _account_for(request, pk)
    workspace.override_clear(account=account, day=timezone.localdate(), actor=request.user)
    messages.success(request, _("Override removed; the computed colour applies again."))
    return redirect("account_detail", pk=account.pk)


@require_POST
def account_reassign(request, pk):
    if not request.user.sees_all_accounts:
        raise PermissionDenied("Only managers reassign accounts.")
    account = _account_for(request, pk)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, "reassign_form", form)
    workspace.account_reassign(
        account=account, owner=form.cleaned_data["owner"], actor=request.user
    )
    messages.success(
        request,
        _("%(account)s now belongs to %(owner)s.")
        % {"account": account.name, "owner": person(form.cleaned_data["owner"])},
    )
    return redirect("account_detail", pk=account.pk)


@require_POST
def contact_create(request, pk):
    account = _account_for(request, pk)
    form = ContactForm(request.POST, account=account)
    if not form.is_valid():
        return _refused(request, account, "contact_form", form)
    contact = contact_save(account=account, form=form, actor=request.user)
    messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
    return redirect(reverse("account_detail", args=[account.pk]) + "#contacts")


def contact_edit(request, pk, contact_pk):
    account = _account_for(request, pk)
    contact = get_object_or_404(account.contacts, pk=contact_pk)
    form = ContactForm(request.POST or None, instance=contact, account=account)
    if request.method == "POST" and form.is_valid():
        contact_save(account=account, form=form, actor=request.user)
        messages.success(request, _("Contact %(name)s saved.") % {"name": contact.name})
        return redirect(reverse("account_detail", args=[account.pk]) + "#contacts")
    status = 400 if form.is_bound else 200
    context = {"account": account, "contact": contact, "form": form}
    return render(request, "workspace/contact_form.html", context, status=status)


def account_timeline(request, pk):
    """The account's events, newest first; the account page loads it into its timeline section
    (``?partial=1``), and it is a page of its own without JavaScript."""
    account = _account_for(request, pk)
    query = TimelineQuery.from_query(request.GET)
    timeline = timeline_page(account, query=query, today=timezone.localdate())
    template = (
        "workspace/account/timeline.html"
        if request.GET.get("partial")
        else "workspace/account_timeline.html"
    )
    context = {
        "account": account,
        "timeline": timeline,
        "kinds": KINDS,
        "kind_params": {"kind": query.kind},
    }
    return render(request, template, context)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = (
            (form.fields[field].label or field.replace("_", " ").capitalize())
            if field in form.fields
            else ""
        )
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _task_for(request, pk) -> Task:
    # A finished task is done with: completing or snoozing it again is a 404, not a revival.
    return get_object_or_404(
        Task.objects.filter(account__in=Account.objects.visible_to(request.user)).exclude(
            status=TaskStatus.DONE
        ),
        pk=pk,
    )


def _back(request, task):
    target = request.POST.get("next", "")
    return (
        redirect("task_list")
        if target == "tasks"
        else redirect("account_detail", pk=task.account_id)
    )


@require_POST
def task_done(request, pk):
    task = _task_for(request, pk)
    form = TaskCompleteForm(request.POST)
    if form.is_valid():
        task_complete(task=task, outcome=form.cleaned_data["outcome"], day=timezone.localdate())
        messages.success(request, _("Task completed."))
    else:
        _form_errors(request, form)
    return _back(request, task)


@require_POST
def task_snoozed(request, pk):
    task = _task_for(request, pk)
    form = TaskSnoozeForm(request.POST)
    if form.is_valid():
        task_snooze(task=task, until=form.cleaned_data["until"])
        until = date_format(form.cleaned_data["until"], "DATE_FORMAT")
        messages.success(request, _("Task snoozed until %(day)s.") % {"day": until})
    else:
        _form_errors(request, form)
    return _back(request, task)


@require_http_methods(["GET", "POST"])
def task_list(request):
    """The tasks on the accounts the user sees, one compact row each, with filters, sorts and
    bulk complete / snooze (a POST to the same address, which keeps the filters)."""
    today = timezone.localdate()
    filters = TaskFilters.from_query(request.GET, sees_all=request.user.sees_all_accounts)
    bulk_form = TaskBulkForm(request.POST) if request.method == "POST" else TaskBulkForm()
    if bulk_form.is_bound and bulk_form.is_valid():
        _tasks_bulk(request, bulk_form.cleaned_data, today=today)
        return redirect(request.get_full_path())
    page = Paginator(filters.apply(visible_tasks(request.user), today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for task in page:
        task.health = getattr(task.account, "current_health", None)
    ticked = set(bulk_form.data.getlist("task")) if bulk_form.is_bound else set()
    return render(
        request,
        "workspace/task_list.html",
        {
            "page": page,
            "today": today,
            "filters": filters,
            "bulk_form": bulk_form,
            "ticked": ticked,
            "reasons": TaskReason.choices,
            "statuses": STATUSES.items(),
            "dues": DUES.items(),
            "sorts": [
                ("due", _("Due date")),
                ("score", _("Score")),
                ("mrr", _("MRR")),
                ("renewal", _("Renewal")),
            ],
            "owners": User.objects.filter(role=Role.CSM, is_active=True).order_by(
                "first_name", "last_name", "username"
            )
            if request.user.sees_all_accounts
            else [],
            "query": filters.params(),
            "sort_params": filters.params(sort=""),
        },
    )


def _tasks_bulk(request, data, *, today) -> None:
    """Act on each ticked task the user may act on, and say how many, and how many not."""
    chosen = actionable_tasks(request.user).filter(pk__in=data["task"])
    if data["action"] == "complete":
        n = tasks_complete(tasks=chosen, outcome=data["outcome"].strip(), day=today)
        text = ngettext("%(n)d task completed.", "%(n)d tasks completed.", n) % {"n": n}
    else:
        n = tasks_snooze(tasks=chosen, until=data["until"])
        text = ngettext(
            "%(n)d task snoozed until %(day)s.", "%(n)d tasks snoozed until %(day)s.", n
        ) % {"n": n, "day": date_format(data["until"], "DATE_FORMAT")}
    messages.success(request, text)
    skipped = len(data["task"]) - n
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(n)d ticked task was left as it was: it is done already or not on your accounts.",
                "%(n)d ticked tasks were left as they were: they are done already or not on"
                " your accounts.",
                skipped,
            )
            % {"n": skipped},
        )
