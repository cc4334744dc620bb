"""The roll-up import form: one or more signed JSON files from city deployments."""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_FILE_BYTES = 20 * 1024 * 1024  # a city's roll-up is a few hundred KB; refuse anything absurd


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".json,application/json"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        cleaned = [super(MultipleFileField, self).clean(one, initial) for one in files]
        for upload in cleaned:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("文件 %(name)s 过大（超过 20 MB），不是汇总文件 / %(name)s is over 20 MB: "
                      "not a roll-up file") % {"name": upload.name})
        return cleaned


class RollupImportForm(forms.Form):
    files = MultipleFileField(label=_("城市汇总文件（.json，可多选）"))
