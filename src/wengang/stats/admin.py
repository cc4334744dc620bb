"""Read-only admin: the summary tables are recounted (``wengang stats refresh``) or imported
from signed files, never edited by hand."""

from django.contrib import admin

from .models import Rollup


@admin.register(Rollup)
class RollupAdmin(admin.ModelAdmin):
    list_display = ("source", "region_code", "as_of", "computed_at", "imported_at", "cases",
                    "seconds")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
