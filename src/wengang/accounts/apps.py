from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "wengang.accounts"
    verbose_name = _("账户与权限")

    def ready(self) -> None:
        from .backends import forget_user
        from .models import User

        # A user saved or deleted anywhere (admin, login, commands) is read again at its next
        # request: the signed-in user is kept in the shared cache (``backends``).
        post_save.connect(forget_user, sender=User, dispatch_uid="accounts.user_saved")
        post_delete.connect(forget_user, sender=User, dispatch_uid="accounts.user_deleted")
