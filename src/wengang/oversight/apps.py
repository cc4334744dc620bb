from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "wengang.oversight"
    verbose_name = _("监督审计")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
