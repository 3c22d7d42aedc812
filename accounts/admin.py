from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.dates import DateWindowAdmin
from accounts.models import Account, User
from accounts.tokens import ApiToken, token_new_key


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Healthscore", {"fields": ("role", "language")}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Healthscore", {"fields": ("role", "language")}),
    )


@admin.register(Account)
class AccountAdmin(DateWindowAdmin, admin.ModelAdmin):
    list_display = ("name", "external_id", "owner", "segment", "lifecycle_stage", "churned_on")
    list_filter = ("segment", "lifecycle_stage", "owner")
    search_fields = ("name", "external_id")
    list_select_related = ("owner",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins create and revoke API tokens. The key is shown once, on the page after creation;
    only its SHA-256 is stored."""

    list_display = ("name", "kind", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "kind", "user")
        return ("name", "kind", "user", "prefix", "created_by", "created_at", "last_used_at")

    def get_readonly_fields(self, request, obj=None):
        # A token is never edited: to change what it may do, revoke it and create another.
        return () if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj._key = token_new_key(obj)  # shown by response_add, never stored
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "key": obj._key,
            "title": _("Copy the new token's key"),
        }
        response = TemplateResponse(request, "admin/accounts/apitoken/key_created.html", context)
        response["Cache-Control"] = "no-store"  # the key must not linger in a cache
        return response

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "%(n)d token revoked; it stops working at once.",
                "%(n)d tokens revoked; they stop working at once.",
                revoked,
            )
            % {"n": revoked},
        )
