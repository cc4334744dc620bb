from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "wengang.web"
    verbose_name = _("网上服务")

    def ready(self) -> None:
        from wengang.cases.models import CommitmentText

        from .display import forget_letters_in_force

        # The signals that audit a letter's change (``oversight.receivers``): a letter saved or
        # deleted from the admin, the command line or the intranet's export is in force at once.
        post_save.connect(forget_letters_in_force, sender=CommitmentText,
                          dispatch_uid="web.letter_saved")
        post_delete.connect(forget_letters_in_force, sender=CommitmentText,
                            dispatch_uid="web.letter_deleted")
