from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr", "changed")
    list_filter = ("action", "object_type", "actor")
    search_fields = ("object_repr", "action")
    date_hierarchy = "at"
    list_select_related = ("actor",)

    @admin.display(description=_("changes"))
    def changed(self, obj):
        return "; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in list(obj.changes.items())[:6])

    # The trail is read-only, for everyone.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
