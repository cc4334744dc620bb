from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "wengang.outreach"
    verbose_name = _("企业告知")
