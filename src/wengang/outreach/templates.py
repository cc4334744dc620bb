"""The words of each notice: built-in texts (Chinese; English through Django i18n), versioned.

The first time a topic is sent in a language, its built-in text becomes version 1 in the
database (``NoticeTemplate``); an administrator changes a text by adding a version
(``add_version``), which later notices use. Each notice records the version it was sent with.
SMS, call scripts and WeChat use the short form; the inbox and e-mail the long one.
"""

import string
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan

from .errors import OutreachError
from .models import Channel, NoticeTemplate, Topic

PLACEHOLDERS = frozenset({"unit", "program", "year", "amount", "link", "due_on", "reason",
                          "account", "name"})
SHORT_CHANNELS = frozenset({Channel.SMS, Channel.CALL, Channel.WECHAT, Channel.OUTBOX})

_SUBJECT = {
    Topic.ELIGIBLE_AUTOMATIC: _("稳岗返还：无需申请，直接拨付"),
    Topic.ELIGIBLE_APPLICATION: _("稳岗返还：请确认申请"),
    Topic.REMINDER: _("稳岗返还：申请即将截止"),
    Topic.APPROVED: _("稳岗返还：审核通过"),
    Topic.IN_PUBLICITY: _("稳岗返还：进入公示"),
    Topic.PAID: _("稳岗返还：已拨付"),
    Topic.PAYMENT_FAILED: _("稳岗返还：拨付失败，请变更收款账户"),
    Topic.REJECTED: _("稳岗返还：未通过审核"),
    Topic.CLAWBACK: _("稳岗返还：追回通知"),
    Topic.PERSON_ELIGIBLE: _("培训补贴：符合条件，无需申请"),
    Topic.PERSON_PAID: _("培训补贴：已发放"),
}
_BODY = {
    Topic.ELIGIBLE_AUTOMATIC: _(
        "【稳岗返还】{unit}：经比对，贵单位符合{year}年{program}条件，可获返还{amount}元，"
        "无需申请，资金将直接拨付至{account}。详情：{link}"),
    Topic.ELIGIBLE_APPLICATION: _(
        "【稳岗返还】{unit}：贵单位符合{year}年{program}条件，可获返还{amount}元。"
        "请于{due_on}前打开 {link} 确认信息并签署承诺书，一分钟即可完成。"),
    Topic.REMINDER: _(
        "【稳岗返还】{unit}：贵单位{year}年{program}{amount}元尚未确认，申请截止日为{due_on}，"
        "请打开 {link} 确认。"),
    Topic.APPROVED: _(
        "【稳岗返还】{unit}：贵单位{year}年{program}{amount}元已通过部门联审，将进行公示。"),
    Topic.IN_PUBLICITY: _(
        "【稳岗返还】{unit}：贵单位{year}年{program}{amount}元正在公示，公示期满无异议后拨付。"
        "详情：{link}"),
    Topic.PAID: _("【稳岗返还】{unit}：贵单位{year}年{program}{amount}元已拨付至{account}，请查收。"),
    Topic.PAYMENT_FAILED: _(
        "【稳岗返还】{unit}：贵单位{year}年{program}{amount}元拨付失败（{reason}），"
        "请打开 {link} 变更收款账户，核实后重新拨付。"),
    Topic.REJECTED: _(
        "【稳岗返还】{unit}：贵单位{year}年{program}未通过审核，原因：{reason}。"
        "如有异议，可向经办机构申请复核，或依法申请行政复议、提起行政诉讼；咨询请拨打12333。"
        "详情：{link}"),
    Topic.CLAWBACK: _(
        "【稳岗返还】{unit}：经核查，贵单位{year}年{program}已拨付资金中{amount}元应予追回"
        "（{reason}），请于{due_on}前缴回；咨询请拨打12333。详情：{link}"),
    # To a person: their masked name, never an ID number (a text may be read over a shoulder).
    Topic.PERSON_ELIGIBLE: _(
        "【稳岗通】{name}：经比对，您符合{year}年{program}条件，可获补贴{amount}元，无需申请，"
        "公示期满无异议后发放至您的账户{account}。详情：{link}"),
    Topic.PERSON_PAID: _("【稳岗通】{name}：您{year}年{program}{amount}元已发放至您的账户{account}，请查收。"
                         "详情：{link}"),
}
_LONG_FOOTER = _("本消息由稳岗通发送。如有疑问，请拨打 12333 或联系当地社保经办机构。")
_PROGRAM = {"inclusive": _("失业保险稳岗返还"), "difficult": _("困难企业稳岗返还"),
            "training": _("职业技能培训补贴")}


def form_for(channel: str) -> str:
    return (NoticeTemplate.Form.SHORT if channel in SHORT_CHANNELS
            else NoticeTemplate.Form.LONG)


def builtin(topic: str, form: str) -> tuple[str, str]:
    """The built-in (subject, body) of ``topic`` in ``form``, in the active language."""
    body = str(_BODY[Topic(topic)])
    if form == NoticeTemplate.Form.LONG:
        body = f"{body}\n\n{_LONG_FOOTER}"
    return str(_SUBJECT[Topic(topic)]), body


def _check_placeholders(body: str) -> None:
    used = {name for _, name, _, _ in string.Formatter().parse(body) if name is not None}
    if unknown := used - PLACEHOLDERS:
        raise OutreachError(f"模板含未知占位符：{'、'.join(sorted(unknown))}",
                            f"unknown placeholders in the template: {', '.join(sorted(unknown))}",
                            code="template_placeholder")


def current(topic: str, form: str, language: str) -> NoticeTemplate:
    """The newest version of a text; the built-in one becomes version 1 on first use."""
    latest = (NoticeTemplate.objects.filter(topic=topic, form=form, language=language)
              .order_by("-version").first())
    if latest is not None:
        return latest
    with translation.override(language):
        subject, body = builtin(topic, form)
    try:
        with transaction.atomic():
            return NoticeTemplate.objects.create(topic=topic, form=form, language=language,
                                                 version=1, subject=subject, body=body,
                                                 created_at=clock.now())
    except IntegrityError:  # another worker wrote version 1 first: it is the same text
        return NoticeTemplate.objects.get(topic=topic, form=form, language=language, version=1)


def add_version(topic: str, form: str, language: str, *, subject: str, body: str,
                sms_template_code: str = "") -> NoticeTemplate:
    """Change a text: write the next version (notices already sent keep theirs)."""
    _check_placeholders(body)
    base = current(topic, form, language)
    return NoticeTemplate.objects.create(
        topic=topic, form=form, language=language, version=base.version + 1, subject=subject,
        body=body, sms_template_code=sms_template_code or base.sms_template_code,
        created_at=clock.now())


@dataclass(frozen=True)
class Facts:
    """What a text may say about the case (the placeholders), already formatted."""

    unit: str
    program: str
    year: int
    amount_fen: int
    link: str
    due_on: date | None
    reason: str
    account: str
    name: str = ""
    """A person's masked name (张*丰), for the texts to a person."""

    def placeholders(self) -> dict[str, str]:
        return {"unit": self.unit, "program": self.program, "year": str(self.year),
                "amount": fen_to_yuan(self.amount_fen, grouping=True), "link": self.link,
                "due_on": self.due_on.isoformat() if self.due_on else "",
                "reason": self.reason, "account": self.account, "name": self.name}


def program_name(program_kind: str, language: str) -> str:
    with translation.override(language):
        return str(_PROGRAM.get(program_kind, _PROGRAM["inclusive"]))


def render(template: NoticeTemplate, facts: Facts) -> str:
    return template.body.format_map(facts.placeholders())
