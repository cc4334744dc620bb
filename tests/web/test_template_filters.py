"""The ``display`` filter: a record's choice shown as Django's ``get_<field>_display`` shows it,
in the page's language, without Django's cost of translating every label on each call."""

import pytest
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


def test_the_label_follows_the_language_of_each_page():
    case = Case(state=State.APPLIED)
    with translation.override("zh-hans"):
        chinese = display(case, "state")
    with translation.override("en"):
        english = display(case, "state")
    assert chinese == "已申请" and english == "Applied"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert display(Case(state="retired_state"), "state") == "retired_state"
