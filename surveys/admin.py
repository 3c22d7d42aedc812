from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.dates import DateWindowAdmin
from surveys.models import Contact, Survey, SurveyResponse, SurveySend, Tag


@admin.register(SurveyResponse)
class SurveyResponseAdmin(DateWindowAdmin, admin.ModelAdmin):
    list_display = ("account", "survey_type", "score", "respondent", "responded_on")
    list_filter = ("survey_type", "tags")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    filter_horizontal = ("tags",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """The managed list of tags that tickets, survey comments and check-ins carry."""

    list_display = ("name", "kind", "released_on")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "role", "account", "is_primary", "active", "last_surveyed_at")
    list_filter = ("active", "is_primary")
    search_fields = ("name", "email", "account__name", "account__external_id")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)
    readonly_fields = ("last_surveyed_at",)


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "survey_type", "active", "question")
    list_filter = ("kind", "survey_type", "active")


@admin.register(SurveySend)
class SurveySendAdmin(admin.ModelAdmin):
    """Sends are made by the schedule only (a send without its e-mail would be a link nobody
    has), so the admin shows them and nothing more."""

    list_display = ("contact", "survey", "sent_at", "expires_at", "status", "ticket_ref")
    list_filter = ("survey", "survey__kind")
    search_fields = ("contact__email", "contact__name", "contact__account__name", "ticket_ref")
    list_select_related = ("contact", "survey")
    exclude = ("token_hash",)
    date_hierarchy = "sent_at"

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The account page links here filtered to one account; a sidebar listing every
        # account would not scale, so the lookup is allowed without a list filter.
        return lookup == "contact__account__id__exact" or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description=_("status"))
    def status(self, send: SurveySend) -> str:
        return send.state(timezone.now()).label

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
