"""API tokens and feed pushes in the admin: to see and revoke, never to read a secret."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, FeedPush
from .tokens import revoke_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_id", "user", "name", "scopes", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("key_id", "user__username", "name")
    readonly_fields = tuple(field.name for field in ApiToken._meta.fields)
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:
        return False  # the secret is shown once, by `wengang manage api_token create`

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        for token in queryset:
            revoke_token(token, actor=request.user)
        messages.success(request, _("已吊销。"))


@admin.register(FeedPush)
class FeedPushAdmin(admin.ModelAdmin):
    list_display = ("at", "region_code", "feed", "file_name", "outcome", "problems", "snapshot_id",
                    "user")
    list_filter = ("outcome", "feed")
    readonly_fields = tuple(field.name for field in FeedPush._meta.fields)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
