"""Print a demo user's current TOTP code (development and demo only)."""

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wengang.accounts.models import STAFF_ROLES, TOTPDevice, User


class Command(BaseCommand):
    help = ("Print the current TOTP code of a staff user, enrolling one if needed (DEBUG only). "
            "演示用：显示动态口令。")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        # In production the second factor lives only on the user's phone: never print it there.
        if not settings.DEBUG:
            raise CommandError("仅限开发/演示模式（WENGANG_DEBUG=1） / development and demo only")
        user = User.objects.filter(username=username, role__in=STAFF_ROLES).first()
        if user is None:
            raise CommandError(f"没有工作人员账户 {username} / no staff user {username}")
        now = timezone.now()
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, defaults={"secret": pyotp.random_base32(), "created_at": now})
        if device.confirmed_at is None:
            device.confirmed_at = now
            device.save(update_fields=["confirmed_at"])
        totp = pyotp.TOTP(device.secret)
        left = totp.interval - int(now.timestamp()) % totp.interval
        self.stdout.write(f"{totp.now()}  ({left} s)")
