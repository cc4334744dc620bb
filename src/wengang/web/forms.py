"""Forms of the web pages; the services check everything again (forms only shape input)."""

from django import forms
from django.conf import settings
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from wengang.cases.models import Case, Size, State
from wengang.core.errors import RegionError
from wengang.core.regions import get_region
from wengang.feeds import list_snapshots

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
    """Confirm the facts and accept the commitment letter; ``amount_fen`` and ``version`` are the
    ones shown, so a re-screen or another change in between is refused, not silently signed."""

    insured = forms.IntegerField(label=_("参保人数"), min_value=0)
    signatory_name = forms.CharField(label=_("企业经办人姓名"), max_length=64)
    agree = forms.BooleanField(label=_("我已阅读并同意以上承诺"), required=True)
    amount_fen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


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
