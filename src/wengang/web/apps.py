from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "wengang.web"
    verbose_name = _("网上服务")
