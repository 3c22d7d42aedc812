from django.contrib import admin

from healthscore.models import HealthSnapshot, Scorecard, SignalDefinition


class SignalDefinitionInline(admin.TabularInline):
    model = SignalDefinition
    extra = 0
    fields = (
        "key",
        "label",
        "source",
        "metric",
        "method",
        "direction",
        "poor",
        "good",
        "window_days",
        "weight",
        "critical",
        "enabled",
        "unit",
    )


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "version",
        "is_default",
        "segment",
        "lifecycle_stage",
        "green_min",
        "yellow_min",
        "min_coverage",
        "updated_at",
    )
    readonly_fields = ("version", "updated_at")
    inlines = [SignalDefinitionInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Snapshots record the version that made them, so any edit makes a new version.
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            form.instance.bump_version()


@admin.register(SignalDefinition)
class SignalDefinitionAdmin(admin.ModelAdmin):
    list_display = ("label", "scorecard", "source", "method", "weight", "critical", "enabled")
    list_editable = ("weight", "critical", "enabled")
    list_filter = ("scorecard", "source", "method", "enabled")
    list_select_related = ("scorecard",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.has_changed():
            obj.scorecard.bump_version()


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "date",
        "score",
        "colour",
        "coverage",
        "scorecard",
        "scorecard_version",
    )
    list_filter = ("colour", "date")
    list_select_related = ("account", "scorecard")
    raw_id_fields = ("account",)
    date_hierarchy = "date"
    readonly_fields = [f.name for f in HealthSnapshot._meta.fields]

    def has_add_permission(self, request):
        return False  # snapshots are computed, never typed in
