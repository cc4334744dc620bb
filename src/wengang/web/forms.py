"""Forms of the web pages; the services check everything again (forms only shape input)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wengang.cases.models import Size, State

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
