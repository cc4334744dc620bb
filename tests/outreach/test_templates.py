"""What the notices say: amounts, links and deadlines in Chinese (English on request), versioned."""

from datetime import date

import pytest

from wengang.cases.models import Action, State
from wengang.outreach import templates
from wengang.outreach.errors import OutreachError, TemplateFrozen
from wengang.outreach.models import Channel, Contact, Notice, NoticeTemplate, Status, Topic
from wengang.outreach.planning import derive, plan
from wengang.outreach.sending import send_pending, short_link

from .conftest import NOON, at, options

pytestmark = pytest.mark.django_db


def test_the_inbox_message_is_delivered_at_once_with_amount_and_no_action_needed(make_case):
    case = make_case(amount_fen=696_528, name="南昌恒达机械有限公司")
    plan(channels=[Channel.INBOX])

    dispatch = send_pending(Channel.INBOX, options=options(), now=at(NOON))

    notice = Notice.objects.get()
    assert (dispatch.sent, notice.status, notice.delivered_at) == (1, Status.DELIVERED, NOON)
    assert "南昌恒达机械有限公司" in notice.text
    assert "可获返还6,965.28元，无需申请" in notice.text
    assert case.unit.account_masked in notice.text
    assert notice.text.endswith("如有疑问，请拨打 12333 或联系当地社保经办机构。")
    assert (notice.template.topic, notice.template.version) == (Topic.ELIGIBLE_AUTOMATIC, 1)


def test_the_application_notice_gives_the_deadline_and_the_short_link(make_case):
    case = make_case(route="application")
    plan(channels=[Channel.OUTBOX])
    send_pending(Channel.OUTBOX, options=options(), now=at(NOON))
    notice = Notice.objects.on(Channel.OUTBOX).get()
    case.refresh_from_db()
    link = short_link("https://wg.example.cn", case.pk)
    assert f"请于{case.apply_by.isoformat()}前打开 {link} 确认信息" in notice.text
    assert notice.status == Status.SENT


def test_a_rejection_says_why_and_how_to_appeal(make_case):
    make_case(State.REJECTED, action=Action.REJECTED, reason="2019年度存在欠费")
    derive(channels=[Channel.INBOX])
    send_pending(Channel.INBOX, options=options(), now=at(NOON))
    text = Notice.objects.get().text
    assert "原因：2019年度存在欠费" in text and "行政复议" in text


def test_english_is_available_through_django_i18n(make_case, own_outbox):
    case = make_case(State.PAID, action=Action.PAID, amount_fen=123_456)
    Contact.objects.create(unit=case.unit, channel=Channel.EMAIL, address="hr@example.cn",
                           language="en")
    derive(channels=[Channel.EMAIL, Channel.INBOX])
    email = Notice.objects.get(channel=Channel.EMAIL)
    assert email.language == "en"
    english = templates.current(Topic.PAID, NoticeTemplate.Form.LONG, "en")
    chinese = templates.current(Topic.PAID, NoticeTemplate.Form.LONG, "zh-hans")
    assert english.body.startswith("[Refund] {unit}: your {year} {program} of {amount} yuan was paid")
    assert chinese.body.startswith("【稳岗返还】")
    assert templates.program_name("inclusive", "en") == "unemployment-insurance job-stabilisation refund"


def test_a_template_change_is_a_new_version_and_sent_notices_keep_theirs(make_case):
    make_case()
    plan(channels=[Channel.INBOX])
    send_pending(Channel.INBOX, options=options(), now=at(NOON))
    old = Notice.objects.get()

    new = templates.add_version(Topic.ELIGIBLE_AUTOMATIC, NoticeTemplate.Form.LONG, "zh-hans",
                                subject="新标题", body="{unit}：返还{amount}元，无需申请。")
    make_case()
    plan(channels=[Channel.INBOX])
    send_pending(Channel.INBOX, options=options(), now=at(NOON))

    latest = Notice.objects.exclude(pk=old.pk).get()
    assert new.version == 2 and latest.template == new
    assert latest.text.endswith("返还1,000.00元，无需申请。")
    old.refresh_from_db()
    assert old.template.version == 1 and "可获返还1,000.00元" in old.text


def test_a_template_version_cannot_be_edited_in_place():
    template = templates.current(Topic.PAID, NoticeTemplate.Form.SHORT, "zh-hans")
    template.body = "改过的"
    with pytest.raises(TemplateFrozen):
        template.save()


def test_an_unknown_placeholder_is_refused_and_nothing_is_added():
    with pytest.raises(OutreachError) as refused:
        templates.add_version(Topic.PAID, NoticeTemplate.Form.SHORT, "zh-hans", subject="s",
                              body="{unit} {iban}")
    assert refused.value.code == "template_placeholder" and "iban" in str(refused.value)
    assert not NoticeTemplate.objects.filter(version=2).exists()


def test_the_clawback_notice_comes_from_the_receivable(make_case, django_user_model):
    from wengang.payments.models import Budget, Receivable

    case = make_case(State.PAID, action=Action.PAID)
    officer = django_user_model.objects.create_user("officer", password=None, role="agency",
                                                    region_code="360100")
    budget = Budget.objects.create(region_code="360100", program="inclusive-2020", year=2020,
                                   created_at=NOON, created_by=officer)
    Receivable.objects.create(unit=case.unit, case=case, budget=budget, source="audit_finding",
                              reason="虚报参保人数", amount_fen=50_000, due_on=date(2020, 6, 30),
                              raised_at=NOON, raised_by=officer)
    derive(channels=[Channel.INBOX])
    send_pending(Channel.INBOX, options=options(), now=at(NOON))
    clawback = Notice.objects.get(topic=Topic.CLAWBACK)
    assert "500.00元应予追回（虚报参保人数），请于2020-06-30前缴回" in clawback.text
