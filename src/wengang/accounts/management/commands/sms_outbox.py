"""Print the development SMS outbox (login codes in development and the demo)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wengang.accounts.models import SmsOutbox


class Command(BaseCommand):
    help = "Print the latest messages of the development SMS outbox. 查看开发短信发件箱。"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=10)

    def handle(self, *args, limit: int, **options):
        if not settings.WENGANG_SMS_OUTBOX:
            raise CommandError("短信发件箱只在开发/演示模式下使用 / the outbox is used only in "
                               "development and the demo (WENGANG_DEBUG=1, no WENGANG_SMS_URL)")
        for message in SmsOutbox.objects.all()[:limit]:
            self.stdout.write(f"{message.sent_at:%Y-%m-%d %H:%M:%S}  {message.phone}  {message.text}")
