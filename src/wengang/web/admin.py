from django.contrib import admin

from .models import Disclosure


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    """Evidence for oversight: read, never written or removed by hand."""

    list_display = ("at", "user", "case", "reason", "ip")
    search_fields = ("user__username", "reason")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
