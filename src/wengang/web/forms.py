"""Forms of the web pages; the services check everything again (forms only shape input)."""

from django import forms
from django.conf import settings
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from wengang.accounts.models import Role, User
from wengang.cases.models import Case, Size, State
from wengang.core.errors import MoneyError, RegionError
from wengang.core.money import parse_yuan
from wengang.core.regions import get_region
from wengang.feeds import list_snapshots
from wengang.oversight.models import Method
from wengang.oversight.models import Outcome as FindingOutcome

from .display import program_choices


class UsccForm(forms.Form):
    uscc = forms.CharField(label=_("统一社会信用代码"), min_length=18, max_length=18,
                           widget=forms.TextInput(attrs={"autocomplete": "username",
                                                         "autocapitalize": "characters"}))


class CodeForm(forms.Form):
    code = forms.RegexField(label=_("验证码"), regex=r"^\s*[0-9]{6}\s*$",
                            widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                          "autocomplete": "one-time-code"}))


class PasswordForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class ConfirmForm(forms.Form):
    """Confirm the facts and accept the commitment letter; ``amount_fen``, ``version`` and
    ``letter`` (the SHA-256 of the letter's text) are the ones shown, so a re-screen, another
    change or a new letter in between is refused, not silently signed. A client that does not
    send ``letter`` signs the letter in force (``workflow.require_letter_shown``)."""

    insured = forms.IntegerField(label=_("参保人数"), min_value=0)
    signatory_name = forms.CharField(label=_("企业经办人姓名"), max_length=64)
    agree = forms.BooleanField(label=_("我已阅读并同意以上承诺"), required=True)
    amount_fen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    letter = forms.RegexField(widget=forms.HiddenInput, regex=r"^[0-9a-f]{64}$", required=False)


class QueueFilterForm(forms.Form):
    region = forms.RegexField(label=_("行政区划"), regex=r"^[0-9]{6}$", required=False)
    program = forms.ChoiceField(label=_("政策项目"), required=False,
                                choices=lambda: [("", _("全部")), *program_choices()])
    state = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + list(State.choices),
                              required=False)
    size = forms.ChoiceField(label=_("企业规模"), choices=[("", _("全部"))] + list(Size.choices),
                             required=False)
    priority = forms.BooleanField(label=_("仅绿色通道"), required=False)
    risk = forms.BooleanField(label=_("仅有风险提示"), required=False)

    def clean_region(self) -> str:
        """A code of the region table, or none: an unknown one would match nothing, or fail."""
        code = self.cleaned_data["region"]
        if code:
            try:
                get_region(code)
            except RegionError as error:
                raise forms.ValidationError(str(error)) from None
        return code


class ProgramForm(forms.Form):
    program = forms.ChoiceField(label=_("政策项目"), choices=program_choices)


class ObjectionForm(forms.Form):
    objector_name = forms.CharField(label=_("姓名"), max_length=64)
    objector_contact = forms.CharField(label=_("联系方式"), max_length=64)
    reason = forms.CharField(label=_("异议理由"), max_length=2000, widget=forms.Textarea)


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看理由"), min_length=4, max_length=200,
                             help_text=_("如：电话核实企业经营状况"))


class ResolveObjectionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), widget=forms.RadioSelect, choices=[
        ("dismiss", _("异议不成立（恢复公示或转待拨付）")), ("uphold", _("异议成立（不予通过）"))])
    note = forms.CharField(label=_("处理意见"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


def snapshot_choices() -> list[tuple[str, str]]:
    """Imported snapshots, newest first, named by when they were imported."""
    snapshots = list_snapshots(settings.WENGANG_SNAPSHOT_DIR)
    return [(s.id, f"{localtime(s.imported_at):%Y-%m-%d %H:%M} · {s.id[:12]}")
            for s in reversed(snapshots)]


class StartScreeningForm(forms.Form):
    snapshot = forms.ChoiceField(label=_("数据快照"), choices=snapshot_choices)
    programs = forms.MultipleChoiceField(label=_("政策项目"), choices=program_choices,
                                         widget=forms.CheckboxSelectMultiple)
    as_of = forms.DateField(label=_("筛查日"), widget=forms.DateInput(attrs={"type": "date"}))


class FeedUploadForm(forms.Form):
    file = forms.FileField(label=_("数据文件"),
                           help_text=_("文件名即数据名，如 units.csv、tax.xlsx（CSV、XLSX 或 Parquet）"))


class PolicyViewForm(forms.Form):
    region = forms.RegexField(label=_("行政区划"), regex=r"^[0-9]{6}$", required=False,
                              help_text=_("空：只看全国标准"))
    on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))


class WhatIfForm(forms.Form):
    snapshot = forms.ChoiceField(label=_("数据快照"), choices=snapshot_choices)
    programs = forms.MultipleChoiceField(label=_("政策项目"), choices=program_choices,
                                         widget=forms.CheckboxSelectMultiple)
    as_of = forms.DateField(label=_("筛查日"), widget=forms.DateInput(attrs={"type": "date"}))
    changes = forms.CharField(label=_("调整的参数"), widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("每行一个，如 ratio_sme=0.9"))

    def clean_changes(self) -> dict[str, str]:
        """``NAME=VALUE`` lines → {name: value}; the policy checks names and values."""
        changes = {}
        for line in self.cleaned_data["changes"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise forms.ValidationError(
                    _("“%(line)s”应写成 参数名=取值 / expected NAME=VALUE"), params={"line": line})
            changes[name.strip()] = value.strip()
        return changes


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("复核理由"), min_length=4, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("请说明哪项结论或数据有误，以及正确的情况。"))


class AnswerAppealForm(forms.Form):
    answer = forms.CharField(label=_("答复"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class LateClaimForm(forms.Form):
    program = forms.ChoiceField(label=_("政策项目"), choices=program_choices)
    claimant_name = forms.CharField(label=_("申请人"), max_length=64)
    contact_phone = forms.RegexField(label=_("联系电话"), regex=r"^1[3-9][0-9]{9}$",
                                     widget=forms.TextInput(attrs={"inputmode": "tel"}))
    reason = forms.CharField(label=_("补报理由"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))


class BulkActionForm(forms.Form):
    """Selected cases of the queue and what to do with them; only the user's own cases."""

    action = forms.ChoiceField(label=_("批量操作"), choices=[
        ("open_review", _("提交部门联审")), ("hold", _("暂缓")), ("release", _("解除暂缓"))])
    cases = forms.ModelMultipleChoiceField(queryset=Case.objects.none())
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = Case.objects.visible_to(user).select_related("unit")

    def clean(self):
        data = super().clean()
        if data.get("action") in ("hold", "release") and not data.get("reason", "").strip():
            self.add_error("reason", _("暂缓和解除暂缓须填写理由。"))
        return data


class CompleteServiceTaskForm(forms.Form):
    note = forms.CharField(label=_("办理情况"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("如：合并后由存续企业申请，已告知"))


# --- payments (拨付) ------------------------------------------------------------------------

class YuanField(forms.CharField):
    """An amount typed in yuan (``6965.28``), cleaned to integer fen by ``core.money``."""

    MAX_FEN = 10**14  # a trillion yuan: more is a typing slip, and stays inside a bigint

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            fen = parse_yuan(text)
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None
        if not 0 < fen <= self.MAX_FEN:
            raise forms.ValidationError(_("金额须大于零且不超过一万亿元。"))
        return fen


class AllocateForm(forms.Form):
    program = forms.ChoiceField(label=_("政策项目"), choices=program_choices)
    year = forms.IntegerField(label=_("返还年度"), min_value=2000, max_value=2100)
    amount_fen = YuanField(label=_("下达金额（元）"))
    note = forms.CharField(label=_("文号或说明"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=200,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ReturnUploadForm(forms.Form):
    file = forms.FileField(label=_("银行回单文件"),
                           help_text=_("通用 CSV、ISO 20022 pain.002 或 camt.054"))


class DecideAccountChangeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("核实结果"), widget=forms.RadioSelect, choices=[
        ("approve", _("核实通过")), ("reject", _("不予变更"))])
    note = forms.CharField(label=_("核实意见"), max_length=200,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("如：已电话联系法定代表人确认"))


class RepaymentForm(forms.Form):
    amount_fen = YuanField(label=_("缴回金额（元）"))
    reference = forms.CharField(label=_("缴款凭证号"), max_length=200)


class WriteOffProposalForm(forms.Form):
    amount_fen = YuanField(label=_("核销金额（元）"))
    reason = forms.CharField(label=_("核销理由"), max_length=2000)


class WriteOffDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=(("approve", _("批准核销")),
                                                          ("reject", _("驳回"))))
    note = forms.CharField(label=_("批准意见或驳回理由"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "reject" and not data.get("note", "").strip():
            self.add_error("note", _("驳回须填写理由。"))
        return data


class AccountChangeRequestForm(forms.Form):
    """The enterprise's new receiving account; the service checks the number and the holder."""

    account_number = forms.RegexField(label=_("新收款账号"), regex=r"^\s*[0-9]{8,34}\s*$",
                                      widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                    "autocomplete": "off"}),
                                      error_messages={"invalid": _("账号应为 8–34 位数字。")})
    bank_name = forms.CharField(label=_("开户银行"), max_length=140)
    holder_name = forms.CharField(label=_("户名"), max_length=140,
                                  help_text=_("须与单位名称一致"))


# --- oversight (监督) ------------------------------------------------------------------------

class SamplePlanForm(forms.Form):
    program = forms.ChoiceField(label=_("政策项目"), choices=program_choices)
    refund_year = forms.IntegerField(label=_("返还年度"), min_value=2000, max_value=2100)
    method = forms.ChoiceField(label=_("抽样方法"), choices=lambda: Method.choices)
    size = forms.IntegerField(label=_("样本量"), min_value=1, max_value=100_000)
    seed = forms.IntegerField(label=_("随机种子"), required=False, min_value=0,
                              max_value=2**63 - 1, help_text=_("空：随机生成并记录"))
    risk_weight = forms.IntegerField(label=_("风险权重"), min_value=1, max_value=100, initial=1)
    auditor = forms.ModelChoiceField(label=_("审计人"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auditor"].queryset = User.objects.filter(
            role=Role.AUDITOR, is_active=True).order_by("username")


class FindingForm(forms.Form):
    outcome = forms.ChoiceField(label=_("结论"), widget=forms.RadioSelect,
                                choices=lambda: FindingOutcome.choices)
    improper_fen = YuanField(label=_("不当支付金额（元）"), required=False)
    note = forms.CharField(label=_("说明"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DueDateForm(forms.Form):
    due_on = forms.DateField(label=_("缴回期限"), widget=forms.DateInput(attrs={"type": "date"}))
