"""Browser tests: Playwright drives Debian's chromium against a live server.

An enterprise on a phone logs in with the SMS code from the outbox, sees its amount and the
explanation, and confirms with the commitment letter, and reads its inbox; an officer opens a
review batch; a department reviewer objects to a case; a finance officer reconciles a bank
return file. Screenshots go to ``var/artifacts/``. No step is skipped:
without chromium or the front-end assets the tests fail and say how to install them.
"""

import os
import re
from datetime import date, timedelta
from importlib import import_module
from pathlib import Path

import pyotp
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from tests.cases.builders import UnitRow, write_feeds
from tests.payments.returns import csv_return, outcome_rows
from wengang.accounts.models import SmsOutbox, TOTPDevice
from wengang.cases.models import Commitment, CommitmentText, ReviewObjection, ReviewTask, State
from wengang.feeds import import_feed_set
from wengang.outreach.models import Notice
from wengang.payments import services

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "artifacts"
VENDOR = ROOT / "src" / "wengang" / "web" / "static" / "vendor"
PASSWORD = "nanchang-ok-2020"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system` (as root) to install Debian's chromium")
    if not (VENDOR / "htmx.min.js").exists():
        pytest.fail(f"{VENDOR} has no htmx.min.js: run `make assets`")
    # Playwright's sync API runs an event loop in this thread; the tests still use the ORM here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def open_page(browser, live_server):
    """A new page (desktop, or ``phone``), failing the test on any CSP violation or JS error."""
    contexts, problems = [], []

    def make(**options):
        # The browser asks for Chinese, as our users' do (Django negotiates Accept-Language).
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == []


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.WENGANG_SMS_URL, settings.WENGANG_SMS_OUTBOX = "", True


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def staff_login(page, user) -> None:
    """Log in with password and TOTP, as a person with an authenticator app would."""
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(),
                                       created_at=timezone.now(), confirmed_at=timezone.now())
    page.goto("/console/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/console/login/totp/")
    page.fill("input[name=code]", pyotp.TOTP(device.secret).now())
    page.click("button.primary")


def test_an_enterprise_on_a_phone_logs_in_sees_why_and_confirms(world, open_page,
                                                                 commitment_text):
    page = open_page(**PHONE)
    case = world.own_case
    page.goto("/portal/login/")
    page.fill("input[name=uscc]", case.unit.uscc)
    page.click("text=获取验证码")
    page.wait_for_url("**/portal/login/code/")
    assert "验证码已发送至 138****" in page.inner_text("main")
    code = re.search(r"验证码为 (\d{6})", SmsOutbox.objects.get().text).group(1)
    page.fill("input[name=code]", code)
    shot(page, "enterprise-1-code")
    page.click("button.primary")
    page.wait_for_url("**/portal/")
    assert page.inner_text(".amount") == "¥119,450.00"
    assert "贵单位符合 2020 年失业保险稳岗返还条件" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "enterprise-2-home")

    page.click("text=为什么")
    assert "裁员率 0.00% ≤ 5.5%" in page.inner_text(".reasons")
    shot(page, "enterprise-3-why")

    page.click("text=确认并签署承诺书")
    assert commitment_text.text.strip().splitlines()[0] in page.inner_text(".letter")
    page.fill("input[name=signatory_name]", "张三")
    page.check("input[name=agree]")
    shot(page, "enterprise-4-confirm")
    page.evaluate("window.sameDocument = true")  # gone if the tap loaded a new page
    page.click("text=确认并提交")
    # One tap: htmx swaps the case's card in place of the letter; the address is the case's.
    page.wait_for_url(f"**/portal/cases/{case.pk}/")
    assert "已确认并签署承诺书" in page.inner_text(".messages")
    assert "已确认，正在办理" in page.inner_text(".route") and "承诺书" not in page.title()
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator("#confirm")).to_have_count(0)
    shot(page, "enterprise-5-done")
    case.refresh_from_db()
    assert case.state == State.APPLIED and Commitment.objects.get(case=case).signatory_name == "张三"
    page.reload()  # the case page, asked for anew: nothing is submitted again
    assert "已确认，正在办理" in page.inner_text(".route") and page.locator(".messages").count() == 0
    assert Commitment.objects.filter(case=case).count() == 1


def _logged_in(page, live_server, user) -> str:
    """Give the page's browser the session of ``user`` logged in (the SMS login is tested
    above); return the session key."""
    client = Client()
    client.force_login(user)
    key = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": key, "url": live_server.url}])
    return key


def test_a_letter_replaced_while_the_enterprise_reads_is_shown_in_place_then_signed(
        world, open_page, live_server, commitment_text):
    page = open_page(**PHONE)
    case = world.own_case
    _logged_in(page, live_server, world.users["enterprise"])
    page.goto(f"/portal/cases/{case.pk}/confirm/")
    page.fill("input[name=signatory_name]", "张三")
    page.check("input[name=agree]")
    newer = CommitmentText.objects.create(version="2020-2", title="承诺书（修订）",
                                          text="本单位承诺：新增一条。", valid_from=date(2020, 4, 1))
    page.click("text=确认并提交")
    expect(page.locator("#confirm [role=alert]").first).to_contain_text("承诺书已在您阅读后更新")
    assert "本单位承诺：新增一条。" in page.inner_text(".letter")
    assert page.url.endswith(f"/portal/cases/{case.pk}/confirm/") and not Commitment.objects.exists()
    shot(page, "enterprise-6-letter-changed")
    page.click("text=确认并提交")  # the name and the tick are kept: the new letter is signed
    page.wait_for_url(f"**/portal/cases/{case.pk}/")
    assert "已确认并签署承诺书" in page.inner_text(".messages")
    assert Commitment.objects.get(case=case).text == newer


def test_a_tap_after_the_session_ended_opens_the_login_page(world, open_page, live_server,
                                                           commitment_text):
    page = open_page(**PHONE)
    case = world.own_case
    key = _logged_in(page, live_server, world.users["enterprise"])
    page.goto(f"/portal/cases/{case.pk}/confirm/")
    page.fill("input[name=signatory_name]", "张三")
    page.check("input[name=agree]")
    import_module(settings.SESSION_ENGINE).SessionStore(key).delete()  # logged out elsewhere
    page.click("text=确认并提交")
    page.wait_for_url("**/portal/login/")  # a page of its own, not swapped into the card
    expect(page.locator("#confirm")).to_have_count(0)
    assert not Commitment.objects.exists()


def test_a_tap_the_server_fails_says_so_in_the_form(world, browser, live_server,
                                                   commitment_text):
    # Not open_page: the failed request is logged in the console, as it should be.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    case = world.own_case
    _logged_in(page, live_server, world.users["enterprise"])
    page.goto(f"/portal/cases/{case.pk}/confirm/")
    page.fill("input[name=signatory_name]", "张三")
    page.check("input[name=agree]")
    page.route("**/confirm/", lambda route: route.fulfill(status=500, body="error")
               if route.request.method == "POST" else route.continue_())
    page.click("text=确认并提交")
    expect(page.locator("#confirm p.error[role=alert]")).to_contain_text("提交未成功")
    assert not Commitment.objects.exists()
    context.close()


def test_an_officer_opens_a_review_batch(world, open_page, make_case):
    applied = make_case(State.APPLIED)
    page = open_page(viewport={"width": 1280, "height": 900})
    staff_login(page, world.users["agency"])
    page.wait_for_url("**/console/")
    page.wait_for_selector(".chart svg")  # ECharts drew the dashboard chart
    shot(page, "officer-1-dashboard")
    page.click("nav >> text=案件")
    page.select_option("select[name=state]", "applied")  # htmx swaps the table in place
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    assert applied.unit.name in page.inner_text("#queue") and "state=applied" in page.url
    shot(page, "officer-2-queue")
    page.click("nav >> text=联审批次")
    page.select_option("select[name=program]", "inclusive-2020")
    page.click("text=提交待联审案件")
    page.wait_for_url(re.compile(r".*/console/review/\d+/$"))
    assert applied.unit.name in page.inner_text("main")
    shot(page, "officer-3-batch")
    applied.refresh_from_db()
    assert applied.state == State.IN_REVIEW

    page.click(f"a[href='/console/cases/{applied.pk}/']")
    assert applied.unit.contact_phone not in page.inner_text("main")  # masked until a reason
    page.fill("input[name=reason]", "电话核实经营状况")
    page.click("text=查看完整电话和账号")
    expect(page.locator("#pii")).to_contain_text(applied.unit.contact_phone)
    shot(page, "officer-4-case-revealed")


def test_a_department_reviewer_objects_to_a_case(world, open_page):
    page = open_page(viewport={"width": 1280, "height": 900})
    staff_login(page, world.users["department"])
    page.wait_for_url("**/review/")
    page.click(f"text=#{world.review_batch.pk}")
    case = world.review_case
    page.check(f"input[name=object_{case.pk}]")
    page.fill(f"textarea[name=reason_{case.pk}]", "2019年有欠税")
    shot(page, "reviewer-1-objection")
    page.click("text=对勾选案件提出异议")
    page.wait_for_selector(".messages")
    assert "有异议" in page.inner_text("main")
    shot(page, "reviewer-2-decided")
    task = ReviewTask.objects.get(pk=world.tax_task.pk)
    assert task.status == ReviewTask.Status.OBJECTED
    assert ReviewObjection.objects.get(task=task, case=case).reason == "2019年有欠税"


def test_an_officer_starts_a_screening_run_and_watches_it_finish(world, open_page, settings,
                                                                 tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WENGANG_SNAPSHOT_DIR, settings.WENGANG_RUNS_DIR = tmp_path / "store", tmp_path / "runs"
    units = [UnitRow(700 + n, insured=10 + n) for n in range(3)]
    import_feed_set(write_feeds(tmp_path / "feeds", units), settings.WENGANG_SNAPSHOT_DIR)
    page = open_page(viewport={"width": 1280, "height": 900})
    staff_login(page, world.users["agency"])
    page.wait_for_url("**/console/")
    page.click("nav >> text=筛查")
    page.check("input[name=programs][value=inclusive-2020]")
    page.fill("input[name=as_of]", "2020-04-15")
    page.click("text=开始筛查")
    page.wait_for_url(re.compile(r".*/console/screening/jobs/\d+/$"))
    expect(page.locator(".job-status")).to_have_text("排队中")
    shot(page, "officer-5-run-queued")

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay")  # the worker
    expect(page.locator(".job-status")).to_have_text("已完成", timeout=10_000)  # htmx polled
    shot(page, "officer-6-run-done")
    page.click("text=查看筛查结果")
    expect(page.locator("#summary tbody tr")).to_have_count(1)
    expect(page.locator("#summary tbody td:nth-child(3)")).to_have_text("3")  # eligible units
    shot(page, "officer-7-run-summary")


def test_a_supervisor_costs_a_change_and_sees_the_chart(world, open_page, settings, tmp_path):
    settings.WENGANG_SNAPSHOT_DIR, settings.WENGANG_WHAT_IF_DIR = tmp_path / "store", tmp_path / "wi"
    units = [UnitRow(710, insured=10), UnitRow(711, insured=12, region_code="360103")]
    import_feed_set(write_feeds(tmp_path / "feeds", units), settings.WENGANG_SNAPSHOT_DIR)
    page = open_page(viewport={"width": 1280, "height": 900})
    staff_login(page, world.users["supervisor"])
    page.wait_for_url("**/console/")
    page.click("nav >> text=政策测算")
    page.check("input[name=programs][value=inclusive-2020]")
    page.fill("input[name=as_of]", "2020-04-15")
    page.fill("textarea[name=changes]", "ratio_sme=0.6")
    page.click("button:has-text('测算')")
    page.wait_for_selector("[data-chart=chart-region] svg")  # ECharts drew it, CSP intact
    expect(page.locator("#compare-region tbody tr")).to_have_count(2)
    assert "减少金额的单位 2 家" in page.inner_text("#winners")
    shot(page, "supervisor-1-what-if")
    with page.expect_download() as download:
        page.click("text=下载 Excel")
    assert download.value.suggested_filename == "comparison.xlsx"


def enterprise_login(page, uscc: str) -> None:
    page.goto("/portal/login/")
    page.fill("input[name=uscc]", uscc)
    page.click("text=获取验证码")
    page.wait_for_url("**/portal/login/code/")
    code = re.search(r"验证码为 (\d{6})", SmsOutbox.objects.latest("pk").text).group(1)
    page.fill("input[name=code]", code)
    page.click("button.primary")
    page.wait_for_url("**/portal/")


def test_a_finance_officer_reconciles_a_return_file(world, open_page, make_case, settings,
                                                    tmp_path):
    settings.WENGANG_BANK_FILE_DIR = tmp_path / "bankfiles"
    paid, failing = (make_case(State.PAYABLE, route="automatic", amount_fen=fen)
                     for fen in (100_000, 250_050))
    users = world.users
    services.allocate(region_code="360100", program="inclusive-2020", year=2020,
                      amount_fen=1_000_000, actor=users["finance"])
    batch = services.build_batches(actor=users["agency"], region_code="360100",
                                   program="inclusive-2020").batches[0]
    services.approve_batch(batch, actor=users["finance"])
    services.export_batch(batch, actor=users["agency"], out_dir=settings.WENGANG_BANK_FILE_DIR)
    batch.refresh_from_db()
    returned = tmp_path / "bank-return.csv"
    returned.write_bytes(csv_return(batch, outcome_rows(batch, {failing.pk: "账户已销户"})))

    page = open_page(viewport={"width": 1280, "height": 900})
    staff_login(page, users["finance"])
    page.wait_for_url("**/console/")
    page.click("nav >> text=拨付")
    expect(page.locator("#batches tbody tr")).to_have_count(2)  # the world's draft, and this one
    page.click(f"#batches >> text=#{batch.pk}")
    expect(page.locator("#csv-sha")).to_have_text(batch.csv_sha256)
    shot(page, "finance-1-batch")
    page.click("text=上传银行回单")
    page.set_input_files("input[name=file]", str(returned))
    page.click("text=上传并对账")
    expect(page.locator("#report")).to_contain_text("¥1,000.00")
    expect(page.locator("#report #failed")).to_contain_text("账户已销户")
    shot(page, "finance-2-reconciled")
    page.click("main >> text=拨付失败")
    expect(page.locator("#failed tbody tr")).to_have_count(1)
    shot(page, "finance-3-failed")
    paid.refresh_from_db()
    failing.refresh_from_db()
    assert (paid.state, failing.state) == (State.PAID, State.PAYMENT_FAILED)


def test_an_enterprise_reads_its_inbox_on_a_phone(world, open_page):
    case = world.own_case
    for minutes, topic, text in ((0, "eligible_application", "贵单位符合稳岗返还条件，请于5月29日前登录确认。"),
                                 (5, "reminder", "稳岗返还确认将于5月29日截止，请尽快办理。")):
        at = case.created_at + timedelta(minutes=minutes)
        Notice.objects.create(unit=case.unit, case=case, topic=topic, channel="inbox",
                              recipient="unit", amount_fen=case.amount_fen, status="delivered",
                              text=text, next_attempt_at=at, created_at=at)
    page = open_page(**PHONE)
    enterprise_login(page, case.unit.uscc)
    page.click("nav >> text=消息")
    expect(page.locator("#unread")).to_have_text("2 条未读")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "enterprise-6-inbox")
    page.click("text=申请截止提醒")
    expect(page.locator(".letter")).to_contain_text("5月29日截止")
    shot(page, "enterprise-7-notice")
    page.click("text=返回消息")
    expect(page.locator("#unread")).to_have_text("1 条未读")
