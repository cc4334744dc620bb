from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "wengang.payments"
    verbose_name = _("资金拨付")
