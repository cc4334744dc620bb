from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    name = "wengang.zones"
    verbose_name = _("内外网交换")
