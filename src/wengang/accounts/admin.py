from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Attempt, SmsCode, TOTPDevice, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        (None, {"fields": ("role", "region_code", "department", "uscc", "resident_id_digest")}),
    )
    readonly_fields = ("resident_id_digest",)  # set by the person login, never typed
    list_display = ("username", "role", "region_code", "department", "is_active")
    list_filter = ("role", "department", "is_active")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Login records are evidence: shown, never edited or added by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    """Deleting a device is how an administrator resets a lost authenticator."""

    list_display = ("user", "created_at", "confirmed_at")
    search_fields = ("user__username",)
    exclude = ("secret",)


@admin.register(SmsCode)
class SmsCodeAdmin(ReadOnlyAdmin):
    list_display = ("key", "created_at", "expires_at", "used_at", "ip")
    search_fields = ("key",)
    exclude = ("salt", "code_hash", "phone")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "key", "succeeded", "ip")
    list_filter = ("kind", "succeeded")
    search_fields = ("key", "ip")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
