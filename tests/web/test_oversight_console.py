"""Oversight in the console: risk holds, spot-check samples, findings, the improper rate."""

import io
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from tests.payments.returns import csv_return, outcome_rows
from wengang.cases.models import State
from wengang.oversight import sampling
from wengang.oversight.models import Finding, RiskHold, SampleItem, SamplePlan
from wengang.payments import services
from wengang.payments.models import Receivable
from wengang.web.models import Disclosure

from .conftest import CITY, World

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def flagged(world: World, make_case):
    return make_case(State.APPROVED, route="automatic", risk="shared_phone")


def test_a_sweep_holds_flagged_cases_and_an_officer_clears_one_with_a_reason(world, flagged):
    agency = client_for(world.users["agency"])
    response = agency.post(reverse("web:console-risk-holds-sweep"), follow=True)
    assert "新暂缓 1 件" in page_messages(response)
    flagged.refresh_from_db()
    assert flagged.state == State.ON_HOLD
    hold = RiskHold.objects.get(case=flagged)
    page = agency.get(reverse("web:console-risk-holds") + "?open=1").content.decode()
    assert "shared_phone" in page and "1 件待核查" in page

    url = reverse("web:console-risk-hold-clear", kwargs={"pk": hold.pk})
    response = agency.post(url, {"reason": ""}, follow=True)
    assert "须写明核查结论" in page_messages(response)
    flagged.refresh_from_db()
    assert flagged.state == State.ON_HOLD
    agency.post(url, {"reason": "电话为代理记账公司，已核实"})
    hold.refresh_from_db()
    flagged.refresh_from_db()
    assert hold.outcome == RiskHold.Outcome.CLEARED and flagged.state == State.APPROVED
    assert "电话为代理记账公司" in agency.get(reverse("web:console-risk-holds")).content.decode()


def test_a_unit_that_corrected_its_data_is_released_by_the_next_sweep(world, flagged):
    agency = client_for(world.users["agency"])
    agency.post(reverse("web:console-risk-holds-sweep"))
    type(flagged).objects.filter(pk=flagged.pk).update(risk="")  # re-screened: no flag now
    response = agency.post(reverse("web:console-risk-holds-sweep"), follow=True)
    assert "单位更正后解除 1 件" in page_messages(response)
    assert RiskHold.objects.get(case=flagged).outcome == RiskHold.Outcome.CORRECTED
    assert "单位更正数据后解除" in agency.get(reverse("web:console-risk-holds")).content.decode()


def test_an_auditor_reads_holds_but_cannot_clear_and_another_city_cannot_see(world, flagged):
    client_for(world.users["agency"]).post(reverse("web:console-risk-holds-sweep"))
    hold = RiskHold.objects.get()
    auditor = client_for(world.users["auditor"])
    assert "shared_phone" in auditor.get(reverse("web:console-risk-holds")).content.decode()
    url = reverse("web:console-risk-hold-clear", kwargs={"pk": hold.pk})
    assert auditor.post(url, {"reason": "x"}).status_code == 403
    other = client_for(world.users["other_agency"])
    assert "shared_phone" not in other.get(reverse("web:console-risk-holds")).content.decode()
    assert other.post(url, {"reason": "x"}).status_code == 404
    assert RiskHold.objects.get().outcome == ""


@pytest.fixture
def population(world, make_case):
    """Four payable cases of the city, the first one flagged; with the world's case in
    publicity, five cases in the population."""
    return [make_case(State.PAYABLE, route="automatic", risk="shared_account" if i == 0 else "")
            for i in range(4)]


def plan(client: Client, world: World, **overrides):
    data = {"program": "inclusive-2020", "refund_year": "2020", "method": "simple", "size": "2",
            "seed": "20200430", "risk_weight": "1", "auditor": world.users["auditor"].pk,
            **overrides}
    return client.post(reverse("web:console-samples"), data)


def test_a_supervisor_plans_a_sample_that_the_seed_reproduces(world, population):
    supervisor = client_for(world.users["supervisor"])
    response = plan(supervisor, world)
    made = SamplePlan.objects.exclude(pk=world.sample_plan.pk).get()
    assert response.status_code == 302 and made.seed == 20200430 and made.population == 5
    page = supervisor.get(reverse("web:console-sample", kwargs={"pk": made.pk}) + "?reproduce=1")
    text = page.content.decode()
    assert "20200430" in text and "复现样本一致" in text and "总体未变" in text
    assert made.items.count() == 2


@pytest.mark.parametrize(("size", "ok"), [("0", False), ("1", True), ("5", True), ("6", False)])
def test_the_sample_size_lies_between_one_and_the_population(world, population, size, ok):
    response = plan(client_for(world.users["supervisor"]), world, size=size)
    assert (response.status_code == 302) == ok
    assert SamplePlan.objects.count() == (2 if ok else 1)
    if not ok:
        assert response.status_code == 400


def test_an_auditor_cannot_plan(world, population):
    assert plan(client_for(world.users["auditor"]), world).status_code == 403
    assert SamplePlan.objects.count() == 1


@pytest.fixture
def sample(world, population) -> SamplePlan:
    plan(client_for(world.users["supervisor"]), world, size="5")
    return SamplePlan.objects.exclude(pk=world.sample_plan.pk).get()


def test_the_auditor_sees_only_its_samples_masked_and_in_full_with_a_reason(world, sample):
    other_auditor = type(world.users["auditor"]).objects.create_user(
        "auditor2", password=None, role="auditor", region_code=CITY)
    url = reverse("web:console-sample", kwargs={"pk": sample.pk})
    assert client_for(other_auditor).get(url).status_code == 404
    auditor = client_for(world.users["auditor"])
    text = auditor.get(url).content.decode()
    unit = sample.items.order_by("draw").first().case.unit
    assert unit.name in text
    assert unit.contact_phone not in text and "6222000011112222" not in text
    item = sample.items.order_by("draw").first()
    reveal = reverse("web:console-sample-item-reveal", kwargs={"pk": item.pk})
    assert auditor.post(reveal, {"reason": "x"}).status_code == 400  # too short a reason
    assert not Disclosure.objects.exists()
    shown = auditor.post(reveal, {"reason": "核对收款账户与单位名称"}, HTTP_HX_REQUEST="true")
    assert shown.status_code == 200
    assert unit.contact_phone in shown.content.decode() and "6222000011112222" in \
        shown.content.decode()
    assert Disclosure.objects.get().reason == "核对收款账户与单位名称"
    other_reveal = client_for(other_auditor).post(reveal, {"reason": "核对收款账户"})
    assert other_reveal.status_code == 404 and Disclosure.objects.count() == 1


def test_findings_give_the_improper_rate_with_its_interval(world, sample):
    auditor = client_for(world.users["auditor"])
    items = list(sample.items.order_by("draw").select_related("case"))

    def finding(item, **data):
        return auditor.post(reverse("web:console-sample-item-finding", kwargs={"pk": item.pk}),
                            data, follow=True)

    response = finding(items[0], outcome="improper", improper_fen="", note="虚报参保人数")
    assert "不当支付金额须大于零" in page_messages(response)
    too_much = f"{items[0].case.amount_fen // 100 + 1}.00"
    response = finding(items[0], outcome="improper", improper_fen=too_much, note="虚报参保人数")
    assert "不超过案件金额" in page_messages(response)
    assert not Finding.objects.exists()
    finding(items[0], outcome="improper", improper_fen="500.00", note="虚报参保人数")
    for item in items[1:]:
        finding(item, outcome="confirmed", note="核实无误")
    assert Finding.objects.count() == 5
    response = finding(items[1], outcome="improper", improper_fen="1.00", note="改主意")
    assert "已有发现，不能再改" in page_messages(response)
    text = auditor.get(reverse("web:console-sample", kwargs={"pk": sample.pk})).content.decode()
    # 1 of 5: 20.0%, Wilson 95% interval 3.6% – 62.4%
    assert "不当支付率 20.0%，95% 置信区间 3.6% – 62.4%" in text


def test_only_the_assigned_auditor_records_a_finding(world, sample):
    item = sample.items.first()
    url = reverse("web:console-sample-item-finding", kwargs={"pk": item.pk})
    assert client_for(world.users["supervisor"]).post(
        url, {"outcome": "confirmed", "note": "x"}).status_code == 403
    assert not Finding.objects.exists()


def test_an_improper_finding_on_a_paid_case_becomes_a_receivable(world, make_case):
    paid = make_case(State.PAYABLE, route="automatic", amount_fen=300_000)
    users = world.users
    services.allocate(region_code=CITY, program="inclusive-2020", year=2020,
                      amount_fen=1_000_000, actor=users["finance"])
    batch = services.build_batches(actor=users["agency"], region_code=CITY,
                                   program="inclusive-2020").batches[0]
    services.approve_batch(batch, actor=users["finance"])
    services.export_batch(batch, actor=users["agency"], out_dir=settings.DATA_DIR / "test-bank")
    services.apply_return(csv_return(batch, outcome_rows(batch)), name="r.csv",
                          actor=users["finance"])
    paid.refresh_from_db()
    assert paid.state == State.PAID
    everyone = len(sampling.population(program="inclusive-2020", refund_year=2020,
                                       region_code=CITY, states=sampling.DEFAULT_STATES))
    plan(client_for(users["supervisor"]), world, size=str(everyone))
    made = SamplePlan.objects.exclude(pk=world.sample_plan.pk).get()
    item = SampleItem.objects.get(plan=made, case=paid)
    client_for(users["auditor"]).post(
        reverse("web:console-sample-item-finding", kwargs={"pk": item.pk}),
        {"outcome": "improper", "improper_fen": "1000.00", "note": "虚报"})
    found = Finding.objects.get()
    url = reverse("web:console-finding-claim", kwargs={"pk": found.pk})
    agency = client_for(users["agency"])
    assert "请填写缴回期限" in page_messages(agency.post(url, {"due_on": ""}, follow=True))
    response = agency.post(url, {"due_on": "2020-06-30"}, follow=True)
    assert "已生成应追回款" in page_messages(response)
    receivable = Receivable.objects.get()
    assert (receivable.amount_fen, receivable.due_on) == (100_000, date(2020, 6, 30))
    again = agency.post(url, {"due_on": "2020-06-30"}, follow=True)
    assert f"已生成应追回款 #{receivable.pk}" in page_messages(again)  # the refusal says which
    assert Receivable.objects.count() == 1


def test_the_sample_downloads_as_excel_masked_with_its_findings(world, sample):
    auditor = client_for(world.users["auditor"])
    first = sample.items.order_by("draw").first()
    auditor.post(reverse("web:console-sample-item-finding", kwargs={"pk": first.pk}),
                 {"outcome": "improper", "improper_fen": "500.00", "note": "虚报参保人数"})
    response = auditor.get(reverse("web:console-sample-xlsx", kwargs={"pk": sample.pk}))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0) \
        .to_python()
    assert len(rows) == 1 + 5
    assert rows[1][1] == first.case_id and rows[1][9] == "不当支付" and rows[1][10] == 500.0
    assert rows[1][7] == first.case.unit.masked_phone and rows[1][8] == "****2222"
    assert all("6222000011112222" not in str(cell) for row in rows for cell in row)
