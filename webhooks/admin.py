"""The webhooks in the admin: endpoints (with *Send a test event*), the delivery log (with
*Retry now*) and the events sent."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.trail import audit_record, form_changes
from jobs.queueing import enqueue
from webhooks.delivery import delivery_retry_now
from webhooks.models import SUBSCRIBABLE, Delivery, Endpoint, Event
from webhooks.recording import sample_event_record
from webhooks.tasks import deliver_webhook, deliveries_queue


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https", help_text=_("http:// or https://")
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=SUBSCRIBABLE,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this endpoint receives. None: only test events."),
    )

    class Meta:
        model = Endpoint
        fields = ("name", "url", "active", "events", "body_format", "secret")


def _send_tests(endpoints) -> int:
    with transaction.atomic():
        events = [sample_event_record(endpoint) for endpoint in endpoints]
        deliveries_queue(events)
    return len(events)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("name", "url", "active", "subscribed", "body_format")
    list_filter = ("active", "body_format")
    search_fields = ("name", "url")
    actions = ["send_test"]
    change_form_template = "admin/webhooks/endpoint/change_form.html"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = form_changes(form)
        if "secret" in changes:
            changes["secret"] = ["…", "…"]  # the trail says it changed, never what it is
        audit_record(
            actor=request.user, action="changed" if change else "created", obj=obj, changes=changes
        )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="deleted", obj=obj, changes={})
        super().delete_model(request, obj)

    @admin.display(description=_("events"))
    def subscribed(self, obj: Endpoint) -> str:
        labels = dict(SUBSCRIBABLE)
        return ", ".join(str(labels.get(e, e)) for e in obj.events) or "—"

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test(self, request, queryset):
        sent = _send_tests(list(queryset))
        self.message_user(
            request,
            ngettext(
                "A test event was queued for %(count)d endpoint; see the delivery log.",
                "A test event was queued for each of %(count)d endpoints; see the delivery log.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="webhooks_endpoint_send_test",
            ),
            *super().get_urls(),
        ]

    def send_test_view(self, request, pk: int):
        """The *Send a test event* button of the change page (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        endpoint = get_object_or_404(Endpoint, pk=pk)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        _send_tests([endpoint])
        self.message_user(
            request,
            _("A test event was queued for “%(endpoint)s”; see the delivery log.")
            % {"endpoint": endpoint},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:webhooks_endpoint_change", args=[pk]))


class ReadOnlyAdmin(admin.ModelAdmin):
    # A log: written by the deliveries, never edited by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "event_type",
        "account",
        "endpoint",
        "status",
        "response_code",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("status", "endpoint", "event__kind")
    search_fields = ("event__id", "event__account__external_id", "event__account__name")
    list_select_related = ("endpoint", "event", "event__account")
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    fields = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "response_snippet",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "body",
    )
    readonly_fields = fields

    @admin.display(description=_("type"), ordering="event__kind")
    def event_type(self, obj: Delivery) -> str:
        return obj.event.get_kind_display()

    @admin.display(description=_("account"))
    def account(self, obj: Delivery) -> str:
        account = obj.event.account
        return f"{account.name} ({account.external_id})" if account else "—"

    @admin.display(description=_("body"))
    def body(self, obj: Delivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.event.payload, indent=2))

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        queued = 0
        with transaction.atomic():
            for delivery in queryset:
                attempt = delivery_retry_now(delivery)
                if attempt is not None:
                    enqueue(deliver_webhook, delivery.pk, attempt)
                    queued += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", queued
            )
            % {"count": queued},
            messages.SUCCESS,
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("webhooks.change_endpoint")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "kind", "account", "id")
    list_filter = ("kind",)
    search_fields = ("id", "account__external_id", "account__name")
    list_select_related = ("account",)
    date_hierarchy = "occurred_at"
    fields = ("id", "kind", "account", "occurred_at", "key", "body")
    readonly_fields = fields

    @admin.display(description=_("body"))
    def body(self, obj: Event) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2))
