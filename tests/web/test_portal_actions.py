"""The enterprise questions a decision (申请复核, routed to its agency) and claims late (补报,
screened at once, the decision shown)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.cases.builders import ResultRow, UnitRow, write_feeds, write_result
from wengang.accounts.models import Role, User
from wengang.cases.loading import load_screening
from wengang.cases.models import CaseEvent, LateClaim, State
from wengang.web.models import Appeal

pytestmark = pytest.mark.django_db

LOADED, MISSED, ARREARS = UnitRow(1), UnitRow(9), UnitRow(10, months_paid=6)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_appeal_is_recorded_routed_to_the_agency_and_answered(world):
    case = world.own_case
    enterprise = _client(world.users["enterprise"])
    events = CaseEvent.objects.count()
    response = enterprise.post(reverse("web:portal-appeal", kwargs={"pk": case.pk}),
                               {"reason": "我单位2019年末实际参保30人，不是25人"})
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.case, appeal.filed_by, appeal.status) == (case, world.users["enterprise"], "open")
    case.refresh_from_db()
    assert case.state == State.AWAITING_APPLICATION and CaseEvent.objects.count() == events

    agency = _client(world.users["agency"])
    assert agency.get(reverse("web:console-home")).context["open_appeals"] == 1
    assert [a.pk for a in agency.get(reverse("web:console-appeals")).context["page"]] == [appeal.pk]
    other = _client(world.users["other_agency"])
    assert list(other.get(reverse("web:console-appeals")).context["page"]) == []
    assert other.post(reverse("web:console-appeal-answer", kwargs={"pk": appeal.pk}),
                      {"answer": "x"}).status_code == 404

    case_page = agency.get(reverse("web:console-case", kwargs={"pk": case.pk}))
    assert list(case_page.context["appeals"]) == [appeal]
    agency.post(reverse("web:console-appeal-answer", kwargs={"pk": appeal.pk}),
                {"answer": "已核实，按30人更正，请重新确认"})
    appeal.refresh_from_db()
    assert (appeal.status, appeal.answered_by) == ("answered", world.users["agency"])
    page = enterprise.get(reverse("web:portal-appeal", kwargs={"pk": case.pk}))
    assert "已核实，按30人更正" in page.content.decode()


def test_one_open_appeal_per_case_at_a_time(world):
    enterprise = _client(world.users["enterprise"])
    url = reverse("web:portal-appeal", kwargs={"pk": world.own_case.pk})
    enterprise.post(url, {"reason": "金额有误，请复核"})
    second = enterprise.post(url, {"reason": "再次申请复核"})
    assert second.status_code == 400
    assert "已有待答复的复核申请" in second.content.decode()
    assert Appeal.objects.count() == 1


def test_an_enterprise_cannot_appeal_another_unit_s_case(world):
    response = _client(world.users["enterprise"]).post(
        reverse("web:portal-appeal", kwargs={"pk": world.other_case.pk}), {"reason": "试试看看"})
    assert response.status_code == 404 and not Appeal.objects.exists()


@pytest.fixture
def loaded_run(tmp_path):
    feeds = write_feeds(tmp_path / "feeds", [LOADED, MISSED, ARREARS])
    load_screening(write_result(tmp_path / "r.csv", [ResultRow(LOADED)], feeds=feeds))


def _enterprise(unit: UnitRow) -> Client:
    return _client(User.objects.create_user(f"ent-{unit.uscc}", password=None,
                                            role=Role.ENTERPRISE, region_code=unit.region_code,
                                            uscc=unit.uscc))


def _claim(client: Client, program: str = "inclusive-2020"):
    return client.post(reverse("web:portal-late-claim"), {
        "program": program, "claimant_name": "赵六", "contact_phone": "13900000009",
        "reason": "去年未收到通知"}, follow=True)


def test_a_missed_unit_claims_late_and_sees_its_case_and_amount_at_once(world, loaded_run):
    page = _claim(_enterprise(MISSED))
    claim = LateClaim.objects.get(uscc=MISSED.uscc)
    assert claim.status == LateClaim.Status.CASE_OPENED and claim.channel == "online"
    assert page.context["claim"] == claim
    text = page.content.decode()
    # 12 months × 500 yuan paid in 2019, refunded at the micro firm's 100%.
    assert "筛查符合，已立案" in text and "¥6,000.00" in text
    assert reverse("web:portal-case", kwargs={"pk": claim.case.pk}) in text


def test_an_ineligible_claim_shows_the_failing_rule(world, loaded_run):
    page = _claim(_enterprise(ARREARS))
    assert page.context["claim"].status == LateClaim.Status.NOT_ELIGIBLE
    failed = [r.text for r in page.context["reasons"] if not r.passed]
    assert any("足额缴费 6 个月" in text for text in failed)


def test_a_claim_for_a_unit_with_a_live_case_is_refused_in_both_languages(world):
    page = _claim(_client(world.users["enterprise"]))
    assert page.status_code == 400
    error = " ".join(page.context["form"].non_field_errors())
    assert "已有" in error and "already" in error
    assert LateClaim.objects.count() == 1  # the world's own


def test_an_enterprise_sees_only_its_own_late_claims(world):
    other = _client(world.users["other_enterprise"])
    url = reverse("web:portal-late-claim-detail", kwargs={"pk": world.late_claim.pk})
    assert other.get(url).status_code == 404
    assert list(other.get(reverse("web:portal-late-claim")).context["claims"]) == []
