"""Bulk actions in the queue (through the case services only), and what the supervisor and the
service officer may do: the supervisor takes the agency's decisions; the service officer acts
for an enterprise met in person (assisted confirmation) and handles service tasks."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from wengang.cases import services
from wengang.cases.errors import WrongRole
from wengang.cases.models import (
    CaseEvent,
    Channel,
    PublicityBatch,
    ReviewBatch,
    ServiceOfficerTask,
    State,
)
from wengang.cases.service_officers import assign_service_task, complete_service_task

pytestmark = pytest.mark.django_db


def _client(world, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _bulk(client: Client, action: str, cases, reason: str = ""):
    return client.post(reverse("web:console-bulk"), {
        "action": action, "cases": [c.pk for c in cases], "reason": reason,
        "query": "state=applied"}, follow=True)


@pytest.mark.parametrize("who", ["agency", "supervisor"])
def test_selected_cases_are_put_on_hold_and_released_with_a_reason(world, make_case, who):
    first, second = make_case(State.APPLIED), make_case(State.NOTIFIED, route="automatic")
    client = _client(world, who)
    page = _bulk(client, "hold", [first, second], "核查劳务派遣情况")
    assert page.redirect_chain[-1][0] == reverse("web:console-queue") + "?state=applied"
    for case in (first, second):
        case.refresh_from_db()
        assert case.state == State.ON_HOLD
    assert CaseEvent.objects.filter(action="held", reason="核查劳务派遣情况",
                                    actor=world.users[who]).count() == 2

    _bulk(client, "release", [first, second], "核查无误")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (State.APPLIED, State.NOTIFIED)


def test_a_case_the_workflow_refuses_is_named_and_the_others_are_done(world, make_case):
    held = make_case(State.APPLIED)
    paid_already = make_case(State.PAID, route="automatic")
    page = _bulk(_client(world, "agency"), "hold", [held, paid_already], "核查")
    texts = [str(m) for m in page.context["messages"]]
    assert "已办理 1 件（共选 2 件）。" in texts
    assert any(text.startswith(f"案件 {paid_already.pk}：") for text in texts)
    paid_already.refresh_from_db()
    assert paid_already.state == State.PAID


def test_hold_without_a_reason_changes_nothing(world, make_case):
    case = make_case(State.APPLIED)
    page = _bulk(_client(world, "agency"), "hold", [case])
    assert "暂缓和解除暂缓须填写理由。" in [str(m) for m in page.context["messages"]]
    case.refresh_from_db()
    assert case.state == State.APPLIED


def test_the_selected_cases_open_a_review_batch_and_the_others_wait(world, make_case):
    chosen, waiting = make_case(State.APPLIED), make_case(State.APPLIED)
    _bulk(_client(world, "supervisor"), "open_review", [chosen])
    chosen.refresh_from_db()
    waiting.refresh_from_db()
    assert (chosen.state, waiting.state) == (State.IN_REVIEW, State.APPLIED)
    batch = ReviewBatch.objects.get(items__case=chosen)
    assert batch.opened_by == world.users["supervisor"]


def test_cases_of_another_region_cannot_be_selected(world):
    page = _bulk(_client(world, "agency"), "hold", [world.other_case], "核查")
    assert any("有效" in str(m) or "valid" in str(m) for m in page.context["messages"])
    world.other_case.refresh_from_db()
    assert world.other_case.state == State.AWAITING_APPLICATION


def test_the_service_officer_confirms_for_an_enterprise_met_in_person(world, commitment_text):
    case = world.own_case
    confirmation = services.Confirmation(size=case.size, insured=case.insured,
                                         amount_fen=case.amount_fen, signatory_name="张三")
    services.apply(case, actor=world.users["service_officer"], confirmation=confirmation,
                   commitment_text=commitment_text, origin="东湖区服务窗口",
                   channel=Channel.ASSISTED, read_out=True)
    case.refresh_from_db()
    assert case.state == State.APPLIED


@pytest.mark.parametrize("step", ["hold", "open_review", "confirm_online"])
def test_the_service_officer_takes_no_decision_of_the_agency(world, make_case, commitment_text,
                                                            step):
    officer = world.users["service_officer"]
    case = make_case(State.APPLIED)
    with pytest.raises(WrongRole):
        if step == "hold":
            services.hold(case, actor=officer, reason="核查")
        elif step == "open_review":
            services.open_review_batches(actor=officer, region_code=officer.region_code,
                                         program="inclusive-2020")
        else:  # an online confirmation is the enterprise's own, not anyone's on its behalf
            services.apply(world.own_case, actor=officer, confirmation=services.Confirmation(
                size="small", insured=25, amount_fen=world.own_case.amount_fen,
                signatory_name="张三"), commitment_text=commitment_text, origin="127.0.0.1",
                channel=Channel.ONLINE)
    case.refresh_from_db()
    assert case.state == State.APPLIED


def test_the_supervisor_assigns_a_service_task_and_the_service_officer_completes_it(world):
    unit = world.own_case.unit
    task = ServiceOfficerTask.objects.create(
        unit=unit, restructure_kind="merger", restructured_on=date(2019, 9, 1),
        created_at=world.own_case.created_at, run=world.own_case.screening_run)
    officer = world.users["service_officer"]
    assign_service_task(task, actor=world.users["supervisor"], officer=officer)
    with pytest.raises(WrongRole):
        complete_service_task(task, actor=world.users["supervisor"], note="已办")
    done = complete_service_task(task, actor=officer, note="合并后由存续企业申请，已告知")
    assert (done.status, done.assigned_to) == (ServiceOfficerTask.Status.DONE, officer)
    with pytest.raises(WrongRole):
        assign_service_task(task, actor=officer, officer=world.users["agency"])


def test_the_supervisor_publishes_and_the_auditor_may_not(world, make_case):
    make_case(State.APPROVED)
    response = _client(world, "supervisor").post(reverse("web:console-publicity-open"),
                                                 {"program": "inclusive-2020"})
    assert response.status_code == 302
    assert PublicityBatch.objects.filter(opened_by=world.users["supervisor"]).exists()
    refused = _client(world, "auditor").post(reverse("web:console-publicity-open"),
                                             {"program": "inclusive-2020"})
    assert refused.status_code == 403
