"""The admin: scorecards are edited through drafts, previewed, published and backfilled here,
and every change lands in the audit trail."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.trail import audit_record, form_changes
from scoring import rescoring, versioning
from scoring.models import (
    BackfillJob,
    JobStatus,
    Scorecard,
    ScorecardVersion,
    SignalDefinition,
)
from scoring.recompute import sources_missing

# The key, then every configurable field (the same list the versions and the audit use).
SIGNAL_FIELDS = ("key", *versioning.SIGNAL_FIELDS)


class SignalDefinitionInline(admin.TabularInline):
    model = SignalDefinition
    extra = 0
    fields = SIGNAL_FIELDS

    # A live scorecard is read-only: changes go through its draft.
    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_draft

    def has_add_permission(self, request, obj=None):
        return obj is None or obj.is_draft

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.is_draft


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = (
        "name", "status", "is_default", "segment", "lifecycle_stage", "green_min",
        "yellow_min", "min_coverage", "updated_at",
    )  # fmt: skip
    fields = (
        "name",
        "is_default",
        "segment",
        "lifecycle_stage",
        "green_min",
        "yellow_min",
        "min_coverage",
    )
    inlines = [SignalDefinitionInline]
    change_form_template = "admin/scoring/scorecard/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Say once which sources the book lacks, so that no one weighs a signal that cannot
        # score anyone yet (it is left out, not counted as good or bad).
        card = self.get_object(request, object_id)
        missing = (
            sources_missing([s for s in card.signals.all() if s.enabled], timezone.localdate())
            if card
            else []
        )
        extra_context = {**(extra_context or {}), "missing_sources": missing}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_change_permission(self, request, obj=None):
        # A live scorecard changes only through its draft: its page is for viewing (no Save
        # buttons, a POST refused).
        return super().has_change_permission(request, obj) and (obj is None or obj.is_draft)

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj):
        if obj.is_draft:
            return _("draft of %(name)s") % {"name": obj.draft_of.name}
        return _("live, v%(version)s") % {"version": obj.version}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("draft_of")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.is_draft:  # a draft takes its scope from the live scorecard
            return ("name", "is_default", "segment", "lifecycle_stage")
        return self.fields

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.is_draft  # live ones keep their snapshots' history

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="changed draft" if change else "created",
            obj=obj,
            changes=form_changes(form),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:  # version 1, once its signals are saved too
            versioning.version_record(form.instance, actor=request.user)

    def save_formset(self, request, form, formset, change):
        for inline in formset.forms:
            if inline in formset.deleted_forms or not inline.has_changed():
                continue
            key = inline.cleaned_data.get("key") or inline.initial.get("key")
            audit_record(
                actor=request.user,
                action="changed draft signal" if inline.instance.pk else "added draft signal",
                obj=form.instance,
                changes={f"signal {key} {k}": v for k, v in form_changes(inline).items()},
            )
        for inline in formset.deleted_forms:
            audit_record(
                actor=request.user,
                action="removed draft signal",
                obj=form.instance,
                changes={f"signal {inline.initial.get('key')}": [inline.initial, None]},
            )
        super().save_formset(request, form, formset, change)

    # -- draft, preview, publish, discard --------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/draft/", view(self.draft_view), name="scoring_scorecard_draft"),
            path("<int:pk>/preview/", view(self.preview_view), name="scoring_scorecard_preview"),
            path("<int:pk>/publish/", view(self.publish_view), name="scoring_scorecard_publish"),
            path("<int:pk>/discard/", view(self.discard_view), name="scoring_scorecard_discard"),
            *super().get_urls(),
        ]

    def _card(self, request, pk, *, draft: bool) -> Scorecard:
        if request.method != "POST" and draft is False:
            raise PermissionDenied
        if not self.has_change_permission(request):
            raise PermissionDenied
        card = get_object_or_404(Scorecard.objects.select_related("draft_of"), pk=pk)
        if card.is_draft != draft:
            raise PermissionDenied("Not a draft." if draft else "Already a draft.")
        return card

    def draft_view(self, request, pk):
        card = self._card(request, pk, draft=False)
        draft = versioning.draft_create(scorecard=card, actor=request.user)
        messages.info(
            request,
            _("Edit the draft, preview it, then publish it. Live scores are unchanged until then."),
        )
        return redirect("admin:scoring_scorecard_change", draft.pk)

    def preview_view(self, request, pk):
        draft = self._card(request, pk, draft=True)
        preview = versioning.draft_preview(draft=draft)
        colours = ["green", "yellow", "red", "grey"]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview of %(draft)s") % {"draft": draft},
            "opts": self.model._meta,
            "draft": draft,
            "preview": preview,
            "rows": [(c, preview.live.get(c, 0), preview.draft.get(c, 0)) for c in colours],
            "quality": versioning.draft_quality(draft=draft),
        }
        return TemplateResponse(request, "admin/scoring/scorecard/preview.html", context)

    def publish_view(self, request, pk):
        if request.method != "POST":
            raise PermissionDenied
        draft = self._card(request, pk, draft=True)
        live = versioning.draft_publish(draft=draft, actor=request.user)
        messages.success(
            request,
            _(
                "%(name)s v%(version)s is live; today's scores of the accounts it covers are "
                "being recomputed. Backfill history from the Backfill jobs page if you want it "
                "scored the new way too."
            )
            % {"name": live.name, "version": live.version},
        )
        return redirect("admin:scoring_scorecard_change", live.pk)

    def discard_view(self, request, pk):
        if request.method != "POST":
            raise PermissionDenied
        draft = self._card(request, pk, draft=True)
        live = draft.draft_of
        versioning.draft_discard(draft=draft, actor=request.user)
        messages.info(request, _("Draft discarded."))
        return redirect("admin:scoring_scorecard_change", live.pk)


@admin.register(SignalDefinition)
class SignalDefinitionAdmin(admin.ModelAdmin):
    """Quick weight edits, on drafts only (live signals change through a published draft)."""

    list_display = ("label", "scorecard", "source", "method", "weight", "critical", "enabled")
    list_editable = ("weight", "critical", "enabled")
    list_filter = ("scorecard", "source", "method", "enabled")
    list_select_related = ("scorecard",)
    fields = ("scorecard", *SIGNAL_FIELDS)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(scorecard__draft_of__isnull=False)

    def changelist_view(self, request, extra_context=None):
        if not Scorecard.objects.filter(draft_of__isnull=False).exists():
            # An empty list would read as "no signals at all": say where they are.
            messages.info(
                request,
                format_html(
                    _(
                        "Only the signals of drafts are listed here, and no scorecard has a "
                        'draft. Open a <a href="{}">scorecard</a> to see its signals, and '
                        "click “Edit as draft” to change them."
                    ),
                    reverse("admin:scoring_scorecard_changelist"),
                ),
            )
        return super().changelist_view(request, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "scorecard":
            kwargs["queryset"] = Scorecard.objects.filter(draft_of__isnull=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="changed draft signal" if change else "added draft signal",
            obj=obj.scorecard,
            changes={f"signal {obj.key} {k}": v for k, v in form_changes(form).items()},
        )


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(admin.ModelAdmin):
    list_display = ("scorecard", "version", "published_at", "published_by")
    list_filter = ("scorecard",)
    readonly_fields = ("scorecard", "version", "published_at", "published_by", "config")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


MAX_BACKFILL_DAYS = 800


class BackfillForm(forms.ModelForm):
    class Meta:
        model = BackfillJob
        fields = ("start", "end")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end is before the start."))
            if end > timezone.localdate():
                raise forms.ValidationError(_("A backfill cannot reach into the future."))
            if (end - start).days > MAX_BACKFILL_DAYS:
                raise forms.ValidationError(
                    _("Backfill at most %(days)s days at a time.") % {"days": MAX_BACKFILL_DAYS}
                )
        return data


@admin.register(BackfillJob)
class BackfillJobAdmin(admin.ModelAdmin):
    """Request a backfill (a Celery job) and watch its progress."""

    form = BackfillForm
    list_display = ("__str__", "progress", "requested_by", "requested_at", "finished_at")
    readonly_fields = ("status", "days_done", "requested_by", "finished_at", "error")
    change_list_template = "admin/scoring/backfilljob/change_list.html"

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, obj):
        days = ngettext("%(done)s / %(total)s day", "%(done)s / %(total)s days", obj.days_total) % {
            "done": obj.days_done,
            "total": obj.days_total,
        }
        return format_html(
            '<progress max="{}" value="{}"></progress> {}', obj.days_total, obj.days_done, days
        )

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        job = rescoring.backfill_request(start=obj.start, end=obj.end, actor=request.user)
        obj.pk = job.pk

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, _("Backfill queued; its progress shows below."))
        return redirect(reverse("admin:scoring_backfilljob_changelist"))

    def changelist_view(self, request, extra_context=None):
        running = BackfillJob.objects.filter(
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh": running})


# Snapshots have no admin page: Django's admin cannot list a model keyed by (account, date),
# and the account page shows every day of an account's history with its explanation.
