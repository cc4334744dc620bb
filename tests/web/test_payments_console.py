"""Payments in the console: budgets, batches, bank files, reconciliation, failures, account
changes and receivables — each page calls the payments services and says what they did."""

import hashlib
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from tests.payments.returns import csv_return, outcome_rows
from wengang.accounts.models import Role, User
from wengang.cases.models import State
from wengang.core.clock import clock
from wengang.payments import services
from wengang.payments.models import (
    AccountChange,
    Budget,
    LedgerEntry,
    Payment,
    PaymentBatch,
    Receivable,
    WriteOffProposal,
)

from .conftest import CITY, OTHER_CITY, World
from .test_authorization import ACTORS, RULES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def bank_file_dir(settings, tmp_path):
    settings.WENGANG_BANK_FILE_DIR = tmp_path / "bankfiles"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


@pytest.fixture
def payable(world: World, make_case):
    """Three payable cases of the city (1,000.00 + 2,500.50 + 0.01 yuan)."""
    return [make_case(State.PAYABLE, route="automatic", amount_fen=fen)
            for fen in (100_000, 250_050, 1)]


@pytest.fixture
def finance(world):
    return client_for(world.users["finance"])


@pytest.fixture
def agency(world):
    return client_for(world.users["agency"])


def build(agency: Client) -> PaymentBatch:
    response = agency.post(reverse("web:console-payments-build"), {"program": "inclusive-2020"})
    assert response.status_code == 302
    return PaymentBatch.objects.exclude(message_id="WG-TEST-1").get()


def allocate(finance: Client, amount: str, follow: bool = True):
    return finance.post(reverse("web:console-payments-allocate"),
                        {"program": "inclusive-2020", "year": "2020", "amount_fen": amount,
                         "note": "赣人社字〔2020〕1号"}, follow=follow)


def test_finance_allots_a_budget_and_the_page_shows_what_remains(world, finance):
    response = allocate(finance, "5000.00")
    assert "已下达预算 5,000.00 元" in page_messages(response)
    budget = Budget.objects.get(region_code=CITY, program="inclusive-2020", year=2020)
    assert (budget.allocated_fen, budget.available_fen) == (500_000, 500_000)
    page = finance.get(reverse("web:console-payments")).content.decode()
    assert "5,000.00" in page and "下达预算" in page


@pytest.mark.parametrize("amount", ["1,000.00", "10.001", "0", "-5", "abc", "1000000000000.01"])
def test_a_bad_amount_allots_nothing_and_says_why(world, finance, amount):
    response = allocate(finance, amount)
    assert "下达金额（元）" in page_messages(response)
    assert not LedgerEntry.objects.exists()


def test_an_officer_may_not_allot_a_budget(world, agency):
    assert agency.post(reverse("web:console-payments-allocate"),
                       {"program": "inclusive-2020", "year": "2020",
                        "amount_fen": "100.00"}).status_code == 403
    assert not LedgerEntry.objects.exists()


def test_approval_beyond_the_budget_is_refused_with_the_shortfall(world, payable, agency,
                                                                   finance):
    allocate(finance, "3500.50")  # one fen short of 3,500.51
    batch = build(agency)
    assert {c.state for c in batch.payments.all().select_related("case")
            for c in [c.case]} == {State.IN_PAYMENT}
    response = finance.post(reverse("web:console-payment-batch-approve", kwargs={"pk": batch.pk}),
                            follow=True)
    assert "缺口 0.01 元" in page_messages(response)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
    allocate(finance, "0.01")  # exactly enough
    response = finance.post(reverse("web:console-payment-batch-approve", kwargs={"pk": batch.pk}),
                            follow=True)
    assert "已从预算预留 3,500.51 元" in page_messages(response)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.APPROVED
    budget = Budget.objects.get(pk=batch.budget_id)
    assert (budget.available_fen, budget.reserved_fen) == (0, 350_051)


def test_an_officer_cannot_approve_and_an_auditor_only_reads(world, payable, agency, finance):
    allocate(finance, "10000")
    batch = build(agency)
    assert agency.post(reverse("web:console-payment-batch-approve",
                               kwargs={"pk": batch.pk})).status_code == 403
    auditor = client_for(world.users["auditor"])
    page = auditor.get(reverse("web:console-payment-batch", kwargs={"pk": batch.pk}))
    assert page.status_code == 200 and "审批并预留预算" not in page.content.decode()
    assert auditor.post(reverse("web:console-payment-batch-export",
                                kwargs={"pk": batch.pk})).status_code == 403
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT


def test_another_city_does_not_see_the_batch(world, payable, agency, finance):
    allocate(finance, "10000")
    batch = build(agency)
    other = User.objects.create_user("finance-jdz", password=None, role=Role.FINANCE,
                                     region_code=OTHER_CITY, department="finance")
    client = client_for(other)
    assert client.get(reverse("web:console-payment-batch", kwargs={"pk": batch.pk})).status_code \
        == 404
    assert client.post(reverse("web:console-payment-batch-approve",
                               kwargs={"pk": batch.pk})).status_code == 404
    assert "暂无拨付批次" in client.get(reverse("web:console-payments")).content.decode()
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT


@pytest.fixture
def exported(world, payable, agency, finance) -> PaymentBatch:
    allocate(finance, "10000")
    batch = build(agency)
    finance.post(reverse("web:console-payment-batch-approve", kwargs={"pk": batch.pk}))
    response = finance.post(reverse("web:console-payment-batch-export", kwargs={"pk": batch.pk}),
                            follow=True)
    assert "银行文件已生成：3 笔，合计 3,500.51 元" in page_messages(response)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.EXPORTED
    return batch


def test_the_exported_files_download_with_the_recorded_fingerprints(exported, finance):
    page = finance.get(reverse("web:console-payment-batch", kwargs={"pk": exported.pk}))
    text = page.content.decode()
    assert exported.csv_sha256 in text and exported.xml_sha256 in text
    for kind, recorded in (("csv", exported.csv_sha256), ("pain001", exported.xml_sha256)):
        response = finance.get(reverse("web:console-payment-bank-file",
                                       kwargs={"pk": exported.pk, "kind": kind}))
        assert response.status_code == 200
        data = b"".join(response.streaming_content)
        assert hashlib.sha256(data).hexdigest() == recorded
    csv_text = b"".join(finance.get(reverse(
        "web:console-payment-bank-file", kwargs={"pk": exported.pk, "kind": "csv"}))
        .streaming_content).decode()
    assert "2500.50" in csv_text and "6222000011112222" in csv_text  # the bank needs it in full


def test_bank_files_are_for_payers_only(world, exported):
    url = reverse("web:console-payment-bank-file", kwargs={"pk": exported.pk, "kind": "csv"})
    for actor in ("auditor", "supervisor", "admin"):
        assert client_for(world.users[actor]).get(url).status_code == 403
    assert client_for(world.users["agency"]).get(
        reverse("web:console-payment-bank-file", kwargs={"pk": exported.pk, "kind": "zip"})
    ).status_code == 404


def upload(client: Client, data: bytes, name: str = "return.csv"):
    return client.post(reverse("web:console-payment-returns"),
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_a_return_file_is_reconciled_and_the_failures_listed(world, exported, finance, payable):
    failing = payable[1]
    data = csv_return(exported, outcome_rows(exported, {failing.pk: "账户已销户"}))
    response = upload(finance, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "到账笔数" in text and "¥1,000.01" in text and "¥2,500.50" in text
    assert "账户已销户" in text and hashlib.sha256(data).hexdigest() in text
    exported.refresh_from_db()
    assert exported.status == PaymentBatch.Status.RECONCILED
    failing.refresh_from_db()
    assert failing.state == State.PAYMENT_FAILED
    assert Payment.objects.filter(status=Payment.Status.PAID).count() == 2

    listed = finance.get(reverse("web:console-payments-failed")).content.decode()
    assert failing.unit.name in listed and "账户已销户" in listed
    assert "6222000011112222" not in listed  # masked
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(finance.get(
        reverse("web:console-payments-failed-xlsx")).content)).get_sheet_by_index(0).to_python()
    assert sheet[1][1] == failing.unit.name and sheet[1][7] == "账户已销户"
    assert len(sheet) == 2

    again = upload(finance, data, "again.csv")
    assert again.status_code == 200 and "已对账，未作任何更改" in again.content.decode()


@pytest.mark.parametrize("defect", ["unknown", "duplicate", "amount"])
def test_a_bad_return_file_is_refused_whole_with_a_report(world, exported, agency, defect):
    rows = outcome_rows(exported)
    if defect == "unknown":
        rows.append(("WG9999999999999999", 100, ""))
    elif defect == "duplicate":
        rows.append(rows[0])
    else:
        rows[0] = (rows[0][0], rows[0][1] + 1, "")
    response = upload(agency, csv_return(exported, rows))
    assert response.status_code == 422
    text = response.content.decode()
    assert "回单被拒绝，未作任何更改" in text
    expected = {"unknown": "WG9999999999999999: 未知的付款编号", "duplicate": "在文件中重复出现",
                "amount": "金额"}[defect]
    assert expected in text
    assert Payment.objects.filter(batch=exported, status=Payment.Status.EXPORTED).count() == 3
    exported.refresh_from_db()
    assert exported.status == PaymentBatch.Status.EXPORTED


def test_a_reader_cannot_upload_a_return_file(world, exported):
    data = csv_return(exported, outcome_rows(exported))
    response = upload(client_for(world.users["auditor"]), data)
    assert response.status_code == 403
    assert not Payment.objects.filter(status=Payment.Status.PAID).exists()


def test_cancelling_needs_a_reason_and_puts_the_cases_back(world, payable, agency, finance):
    allocate(finance, "10000")
    batch = build(agency)
    url = reverse("web:console-payment-batch-cancel", kwargs={"pk": batch.pk})
    response = agency.post(url, {"reason": " "}, follow=True)
    assert "撤销批次须填写理由" in page_messages(response)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
    agency.post(url, {"reason": "账户信息待核实"})
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CANCELLED
    assert {c.state for c in payable if c.refresh_from_db() is None} == {State.PAYABLE}


def test_building_without_a_budget_is_refused_and_changes_nothing(world, payable, agency):
    Budget.objects.filter(year=2020).update(year=2019)  # the world's budget is for another year
    response = agency.post(reverse("web:console-payments-build"), {"program": "inclusive-2020"},
                           follow=True)
    assert "没有 inclusive-2020 2020 年度的资金预算" in page_messages(response)
    assert PaymentBatch.objects.count() == 1
    assert {c.state for c in payable if c.refresh_from_db() is None} == {State.PAYABLE}


@pytest.fixture
def change(world):
    """The enterprise asked on 30 April 2020 for a new account (cooling-off to 8 May)."""
    unit = world.own_case.unit
    return services.request_account_change(unit, actor=world.users["enterprise"],
                                           account_number="6222000099998888", bank_name="中国银行",
                                           holder_name=unit.name)


def test_an_account_change_waits_out_its_cooling_off(world, change, agency):
    url = reverse("web:console-account-change-decide", kwargs={"pk": change.pk})
    page = agency.get(reverse("web:console-account-changes")).content.decode()
    assert change.account_masked in page and "6222000099998888" not in page
    response = agency.post(url, {"outcome": "approve", "note": "已电话核实"}, follow=True)
    assert f"冷静期未满，{change.verifiable_from} 起方可核实通过" in page_messages(response)
    change.refresh_from_db()
    assert change.status == AccountChange.Status.PENDING
    with clock.frozen(change.verifiable_from):
        response = agency.post(url, {"outcome": "approve", "note": "已电话核实"}, follow=True)
    assert "已处理" in page_messages(response)
    change.refresh_from_db()
    assert change.status == AccountChange.Status.APPROVED
    assert change.decided_by == world.users["agency"]


def test_an_account_change_needs_a_note_and_stays_in_its_region(world, change, agency):
    url = reverse("web:console-account-change-decide", kwargs={"pk": change.pk})
    response = agency.post(url, {"outcome": "reject", "note": ""}, follow=True)
    assert "请选择核实结果并填写核实意见" in page_messages(response)
    other = client_for(world.users["other_agency"])
    assert other.post(url, {"outcome": "reject", "note": "x"}).status_code == 404
    change.refresh_from_db()
    assert change.status == AccountChange.Status.PENDING


def test_a_repayment_is_recorded_up_to_what_is_owed(world, exported, finance, agency, payable):
    upload(finance, csv_return(exported, outcome_rows(exported)))
    paid = payable[0]
    receivable = services.raise_receivable(paid, actor=world.users["agency"],
                                           source=Receivable.Source.AUDIT_FINDING,
                                           amount_fen=60_000, reason="参保人数虚报",
                                           due_on=date(2020, 6, 30))
    url = reverse("web:console-receivable-repay", kwargs={"pk": receivable.pk})
    page = agency.get(reverse("web:console-receivables")).content.decode()
    assert "参保人数虚报" in page and "600.00" in page
    response = agency.post(url, {"amount_fen": "600.01", "reference": "缴款单001"}, follow=True)
    assert "不超过未结清的 600.00 元" in page_messages(response)
    response = agency.post(url, {"amount_fen": "600.00", "reference": "缴款单001"}, follow=True)
    assert "已登记缴回 600.00 元" in page_messages(response)
    receivable.refresh_from_db()
    assert receivable.outstanding_fen == 0
    assert finance.post(url, {"amount_fen": "1", "reference": "x"}).status_code == 403


def test_the_budget_chart_shows_paid_reserved_and_available(world, payable, agency, finance):
    allocate(finance, "5000.00")
    batch = build(agency)
    finance.post(reverse("web:console-payment-batch-approve", kwargs={"pk": batch.pk}))
    chart = finance.get(reverse("web:console-payments")).context["chart"]
    assert chart["labels"] == ["360100 2020年失业保险稳岗返还（普惠性） 2020"]
    assert [(s["name"], s["values"]) for s in chart["series"]] == [
        ("已拨付", [0.0]), ("已预留", [3500.51]), ("可用余额", [1499.49])]


@pytest.mark.parametrize(("name", "data"), [
    ("web:console-payments-allocate", {"program": "inclusive-2020", "year": "2020",
                                       "amount_fen": "100.00"}),
    ("web:console-payments-build", {"program": "inclusive-2020"}),
    ("web:console-payment-batch-approve", {}),
    ("web:console-payment-batch-cancel", {"reason": "测试"}),
    ("web:console-payment-batch-export", {}),
    ("web:console-account-change-decide", {"outcome": "reject", "note": "测试"}),
    ("web:console-receivable-repay", {"amount_fen": "1.00", "reference": "测试"}),
    ("web:console-receivable-write-off", {"amount_fen": "1.00", "reason": "测试"}),
    ("web:console-write-off-decide", {"outcome": "approve", "note": "测试"}),
])
def test_a_denied_user_cannot_pay_by_posting_either(world, payable, change, name, data):
    rule = RULES[name]
    kwargs = {"pk": change.pk} if name == "web:console-account-change-decide" \
        else rule.kwargs(world)  # the world's draft batch; a receivable id nobody reaches
    for actor in ACTORS:
        if actor in rule.allowed:
            continue
        client = Client()
        if world.users[actor] is not None:
            client.force_login(world.users[actor])
        response = client.post(reverse(name, kwargs=kwargs), data)
        assert response.status_code in (302, 403, 404), (actor, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith(("/console/login/", "/portal/login/")), actor
    assert not LedgerEntry.objects.exists()
    assert PaymentBatch.objects.get().status == PaymentBatch.Status.DRAFT  # the world's only
    assert AccountChange.objects.get().status == AccountChange.Status.PENDING
    assert {c.state for c in payable if c.refresh_from_db() is None} == {State.PAYABLE}


@pytest.fixture
def owed(world, exported, finance, payable) -> Receivable:
    """600.00 yuan claimed back from the first paid case."""
    upload(finance, csv_return(exported, outcome_rows(exported)))
    return services.raise_receivable(payable[0], actor=world.users["agency"],
                                     source=Receivable.Source.AUDIT_FINDING, amount_fen=60_000,
                                     reason="参保人数虚报", due_on=date(2020, 6, 30))


def test_a_write_off_is_proposed_by_an_officer_and_approved_by_finance(world, owed, agency,
                                                                       finance):
    url = reverse("web:console-receivable-write-off", kwargs={"pk": owed.pk})
    assert "申请核销" in agency.get(reverse("web:console-receivables")).content.decode()
    response = agency.post(url, {"amount_fen": "600.01", "reason": "单位已注销"}, follow=True)
    assert "不超过未结清的 600.00 元" in page_messages(response)
    response = agency.post(url, {"amount_fen": "600.00", "reason": ""}, follow=True)
    assert not WriteOffProposal.objects.exists()
    response = agency.post(url, {"amount_fen": "600.00", "reason": "单位已注销"}, follow=True)
    assert "已申请核销 600.00 元" in page_messages(response)
    again = agency.post(url, {"amount_fen": "1.00", "reason": "再次"}, follow=True)
    assert "已有待批准的核销申请" in page_messages(again)
    proposal = WriteOffProposal.objects.get()
    assert agency.post(reverse("web:console-write-off-decide", kwargs={"pk": proposal.pk}),
                       {"outcome": "approve"}).status_code == 403  # the officer cannot decide
    page = finance.get(reverse("web:console-receivables")).content.decode()
    assert f'id="write-off-{proposal.pk}"' in page and "单位已注销" in page
    decide = reverse("web:console-write-off-decide", kwargs={"pk": proposal.pk})
    response = finance.post(decide, {"outcome": "approve", "note": "同意"}, follow=True)
    assert f"核销申请 #{proposal.pk} 已处理" in page_messages(response)
    owed.refresh_from_db()
    assert owed.outstanding_fen == 0
    assert Budget.objects.get(pk=owed.budget_id).written_off_fen == 60_000
    assert services.check_ledger(Budget.objects.get(pk=owed.budget_id)).balanced


def test_finance_rejects_with_a_reason_and_the_officer_may_propose_again(world, owed, agency,
                                                                         finance):
    url = reverse("web:console-receivable-write-off", kwargs={"pk": owed.pk})
    agency.post(url, {"amount_fen": "100.00", "reason": "单位已注销"})
    proposal = WriteOffProposal.objects.get()
    decide = reverse("web:console-write-off-decide", kwargs={"pk": proposal.pk})
    response = finance.post(decide, {"outcome": "reject", "note": ""}, follow=True)
    assert "驳回须填写理由" in page_messages(response)
    proposal.refresh_from_db()
    assert proposal.status == WriteOffProposal.Status.PENDING
    finance.post(decide, {"outcome": "reject", "note": "尚有财产可供执行"})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == (WriteOffProposal.Status.REJECTED,
                                                         "尚有财产可供执行")
    response = agency.post(url, {"amount_fen": "100.00", "reason": "财产已执行完毕"}, follow=True)
    assert "已申请核销 100.00 元" in page_messages(response)
    assert Budget.objects.get(pk=owed.budget_id).written_off_fen == 0


def test_write_offs_stay_in_their_region(world, owed, agency):
    agency.post(reverse("web:console-receivable-write-off", kwargs={"pk": owed.pk}),
                {"amount_fen": "100.00", "reason": "单位已注销"})
    proposal = WriteOffProposal.objects.get()
    other = client_for(world.users["other_agency"])
    assert other.post(reverse("web:console-receivable-write-off", kwargs={"pk": owed.pk}),
                      {"amount_fen": "1.00", "reason": "x"}).status_code == 404
    outsider = User.objects.create_user("finance-jdz", password=None, role=Role.FINANCE,
                                        region_code=OTHER_CITY)
    response = client_for(outsider).post(
        reverse("web:console-write-off-decide", kwargs={"pk": proposal.pk}),
        {"outcome": "approve", "note": ""})
    assert response.status_code == 404
    assert f'id="write-off-{proposal.pk}"' not in client_for(outsider).get(
        reverse("web:console-receivables")).content.decode()
    proposal.refresh_from_db()
    assert proposal.status == WriteOffProposal.Status.PENDING
