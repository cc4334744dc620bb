"""The ``display`` filter: a record's choice shown as Django's ``get_<field>_display`` shows it,
in the page's language, without Django's cost of translating every label on each call."""

import pytest
from django.apps import apps
from django.utils import translation

from wengang.cases.models import Action, Case, CaseEvent, State
from wengang.web.templatetags.wengang import display


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_state_and_action_is_shown_as_django_shows_it(language):
    with translation.override(language):
        for state in State.values:
            case = Case(state=state, closed_reason="")
            assert display(case, "state") == case.get_state_display()
        for action in Action.values:
            event = CaseEvent(action=action)
            assert display(event, "action") == event.get_action_display()


def _choice_fields() -> list:
    return [pytest.param(model, field, id=f"{model._meta.label}.{field.name}")
            for model in apps.get_models() for field in model._meta.concrete_fields if field.choices]


@pytest.mark.parametrize(("model", "field"), _choice_fields())
def test_every_choice_of_every_model_is_shown_as_django_shows_it(model, field):
    """Templates show every choice label through ``display``: it must equal Django's for each
    value of each field in both languages, and for a blank or missing value (``default`` then)."""
    values = [value for value, _label in field.flatchoices] + ["", None]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value in values:
                record = model(**{field.attname: value})
                django = getattr(record, f"get_{field.name}_display")()
                assert display(record, field.name) == django, (field, value)


def test_the_label_follows_the_language_of_each_page():
    case = Case(state=State.APPLIED)
    with translation.override("zh-hans"):
        chinese = display(case, "state")
    with translation.override("en"):
        english = display(case, "state")
    assert chinese == "已申请" and english == "Applied"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert display(Case(state="retired_state"), "state") == "retired_state"
