from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        (None, {"fields": ("role", "region_code", "department", "uscc")}),
    )
    list_display = ("username", "role", "region_code", "department", "is_active")
    list_filter = ("role", "department", "is_active")
