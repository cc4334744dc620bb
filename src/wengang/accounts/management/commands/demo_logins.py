"""Print one login per role for the demo city (after ``wengang walkthrough``)."""

from django.core.management.base import BaseCommand

from wengang.accounts.models import Role, User
from wengang.cases.models import Case, State
from wengang.demo.walkthrough import DEMO_PASSWORD, DEMO_REGION, demo_users

# Roles the walkthrough itself does not need; the web shows what each of them sees.
EXTRA_USERS = (("nanchang-supervisor", Role.SUPERVISOR), ("nanchang-service", Role.SERVICE_OFFICER))


class Command(BaseCommand):
    help = "Create the demo's remaining staff users and print every demo login. 打印演示账户。"

    def handle(self, *args, **options):
        users = list(demo_users().values())
        for username, role in EXTRA_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"role": role, "region_code": DEMO_REGION})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users.append(user)
        out = self.stdout.write
        out(f"工作人员 / staff — http://127.0.0.1:8000/console/login/  密码 password: {DEMO_PASSWORD}")
        for user in sorted(users, key=lambda u: (u.role, u.username)):
            out(f"  {user.username:<22} {user.get_role_display()}"
                f"{' · ' + user.get_department_display() if user.department else ''}")
        out("  第二步动态口令 / second factor: wengang manage totp_code USERNAME "
            "(演示模式；正式环境首次登录时绑定身份验证器 / production: enrol an authenticator at first login)")
        out("企业 / enterprises — http://127.0.0.1:8000/portal/login/")
        for state, what in ((State.AWAITING_APPLICATION, "待确认并签署承诺书 / to confirm"),
                            (State.PAYABLE, "已公示待拨付 / payable")):
            case = (Case.objects.in_region(DEMO_REGION).filter(state=state, unit__isnull=False)
                    .exclude(unit__contact_phone="").select_related("unit").order_by("pk").first())
            if case is not None:
                out(f"  {case.unit.uscc}  {what}  ({case.unit.name})")
        out("  短信验证码 / SMS code: wengang manage sms_outbox")
        self._trainee(out)

    def _trainee(self, out) -> None:
        """A trainee of the demo (``walkthrough --persons``): their ID number, in full on
        purpose — the demo's persons are synthetic, and the login needs it."""
        trainees = (Case.objects.in_region(DEMO_REGION).of_persons().exclude(person__phone="")
                    .select_related("person").order_by("pk"))
        case = trainees.filter(state=State.PAID).first() or trainees.first()
        if case is None:
            return
        person = case.person
        out("个人（培训补贴学员）/ trainees — http://127.0.0.1:8000/me/login/")
        out(f"  {person.resident_id()}  {case.get_state_display()}  ({person.name_masked})")
        out("  短信验证码 / SMS code: wengang manage sms_outbox")
