"""The API's payments (batches, bank files, return files) and the enterprise's side (inbox,
late claims, confirmation), as the console and the portal do them."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.payments.returns import csv_return, outcome_rows
from wengang.cases.models import Commitment, CommitmentText, State
from wengang.outreach.models import Notice
from wengang.payments import services
from wengang.payments.models import Payment, PaymentBatch

from .conftest import World, bearer

pytestmark = pytest.mark.django_db
CITY = "360100"


@pytest.fixture(autouse=True)
def bank_file_dir(settings, tmp_path):
    settings.WENGANG_BANK_FILE_DIR = tmp_path / "bankfiles"


@pytest.fixture
def exported(world: World, make_case, settings) -> PaymentBatch:
    for fen in (100_000, 250_050):
        make_case(State.PAYABLE, route="automatic", amount_fen=fen)
    users = world.users
    services.allocate(region_code=CITY, program="inclusive-2020", year=2020,
                      amount_fen=1_000_000, actor=users["finance"])
    batch = services.build_batches(actor=users["agency"], region_code=CITY,
                                   program="inclusive-2020").batches[0]
    services.approve_batch(batch, actor=users["finance"])
    return services.export_batch(batch, actor=users["agency"],
                                 out_dir=settings.WENGANG_BANK_FILE_DIR).batch


def test_batches_are_listed_with_masked_accounts(world, exported, token_for):
    client, headers = Client(), bearer(token_for(world.users["auditor"]))
    listed = client.get("/api/payments/batches", headers=headers).json()
    assert {item["id"] for item in listed["items"]} == {exported.pk, world.payment_batch.pk}
    detail = client.get(f"/api/payments/batches/{exported.pk}", headers=headers)
    assert detail.status_code == 200
    body = detail.json()
    assert body["total_yuan"] == "3500.50" and body["csv_sha256"] == exported.csv_sha256
    assert [p["account_masked"] for p in body["payments"]] == ["****2222", "****2222"]
    assert "6222000011112222" not in detail.content.decode()


@pytest.mark.parametrize(("kind", "field"), [("csv", "csv_sha256"), ("pain001", "xml_sha256")])
def test_a_payer_downloads_the_recorded_bank_file(world, exported, token_for, kind, field):
    response = Client().get(f"/api/payments/batches/{exported.pk}/files/{kind}",
                            headers=bearer(token_for(world.users["finance"])))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == \
        getattr(exported, field)


def test_an_auditor_may_not_download_bank_files(world, exported, token_for):
    response = Client().get(f"/api/payments/batches/{exported.pk}/files/csv",
                            headers=bearer(token_for(world.users["auditor"])))
    assert response.status_code == 403 and response.json()["code"] == "wrong_role"


def post_return(world, token_for, data: bytes):
    upload = SimpleUploadedFile("return.csv", data, content_type="text/csv")
    return Client().post("/api/payments/returns", {"file": upload},
                         headers=bearer(token_for(world.users["finance"])))


def test_a_return_file_is_applied_once(world, exported, token_for):
    data = csv_return(exported, outcome_rows(exported))
    body = post_return(world, token_for, data).json()
    assert (body["paid_count"], body["paid_fen"], body["failed_count"]) == (2, 350_050, 0)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert post_return(world, token_for, data).json()["already_applied"] is True
    assert Payment.objects.filter(status=Payment.Status.PAID).count() == 2


def test_a_bad_return_file_lists_every_problem_and_changes_nothing(world, exported, token_for):
    rows = outcome_rows(exported) + [("WG0000000000000404", 1, ""), outcome_rows(exported)[0]]
    response = post_return(world, token_for, csv_return(exported, rows))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "return_rejected" and len(body["problems"]) == 2
    assert any("WG0000000000000404" in p for p in body["problems"])
    assert not Payment.objects.filter(status=Payment.Status.PAID).exists()


def test_the_enterprise_reads_its_inbox_and_late_claims(world, session_for):
    own = world.own_case
    Notice.objects.create(unit=own.unit, case=own, topic="eligible_application", channel="inbox",
                          recipient="unit", amount_fen=own.amount_fen, status="delivered",
                          text="请确认", next_attempt_at=own.created_at,
                          created_at=own.created_at)
    inbox = session_for("enterprise").get("/api/inbox").json()
    assert [(n["text"], n["read"]) for n in inbox["items"]] == [("请确认", False)]
    assert session_for("other_enterprise").get("/api/inbox").json()["count"] == 0
    claims = session_for("enterprise").get("/api/late-claims").json()
    assert [c["id"] for c in claims["items"]] == [world.late_claim.pk]
    assert session_for("other_enterprise").get("/api/late-claims").json()["count"] == 0


def confirmation(case, **changes) -> dict:
    return {"insured": case.insured, "signatory_name": "张三", "amount_fen": case.amount_fen,
            "version": case.version, "agree": True, **changes}


def test_the_enterprise_confirms_with_the_commitment_letter(world, session_for):
    case = world.own_case
    response = session_for("enterprise").post(f"/api/cases/{case.pk}/confirmation",
                                              confirmation(case), content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "applied"
    commitment = Commitment.objects.get(case=case)
    assert commitment.channel == "online" and commitment.signatory_name == "张三"


@pytest.mark.parametrize(("changes", "status"), [
    ({"agree": False}, 422),
    ({"amount_fen": 1}, 409),      # not the amount the server computes
    ({"version": 99}, 409),        # the case changed since it was shown
])
def test_a_confirmation_that_does_not_hold_changes_nothing(world, session_for, changes, status):
    case = world.own_case
    response = session_for("enterprise").post(f"/api/cases/{case.pk}/confirmation",
                                              confirmation(case, **changes),
                                              content_type="application/json")
    assert response.status_code == status, response.content
    case.refresh_from_db()
    assert case.state == State.AWAITING_APPLICATION and not Commitment.objects.exists()


def test_the_letter_shown_is_the_letter_signed(world, session_for):
    case, client = world.own_case, session_for("enterprise")
    letter = client.get(f"/api/cases/{case.pk}/commitment-letter").json()
    shown = CommitmentText.objects.get(version=letter["version"])
    assert (letter["sha256"], letter["text"]) == (shown.sha256, shown.text)
    assert session_for("other_enterprise").get(
        f"/api/cases/{case.pk}/commitment-letter").status_code == 404
    newer = CommitmentText.objects.create(version="2020-9", title="承诺书（修订）", text="新增一条。",
                                          valid_from=shown.valid_from.replace(day=2))
    url = f"/api/cases/{case.pk}/confirmation"
    stale = client.post(url, confirmation(case, letter_sha256=letter["sha256"]),
                        content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "facts_changed"
    assert "2020-9" in stale.json()["message_zh"] and not Commitment.objects.exists()
    assert client.post(url, confirmation(case, letter_sha256="0" * 63),  # not a fingerprint
                       content_type="application/json").status_code == 422
    fresh = client.get(f"/api/cases/{case.pk}/commitment-letter").json()["sha256"]
    assert client.post(url, confirmation(case, letter_sha256=fresh),
                       content_type="application/json").status_code == 200
    assert Commitment.objects.get(case=case).text == newer


def test_an_officer_confirms_in_person_only_with_the_letter_read_out(world, token_for):
    case, headers = world.own_case, bearer(token_for(world.users["service_officer"]))
    url = f"/api/cases/{case.pk}/confirmation"
    refused = Client().post(url, confirmation(case), content_type="application/json",
                            headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "reason_required"
    done = Client().post(url, confirmation(case, read_out=True), content_type="application/json",
                         headers=headers)
    assert done.status_code == 200
    assert Commitment.objects.get(case=case).channel == "assisted"


def test_an_officer_opens_review_batches_through_the_api(world, make_case, token_for):
    ready = make_case(State.APPLIED)
    response = Client().post("/api/review/batches", {"program": "inclusive-2020"},
                             content_type="application/json",
                             headers=bearer(token_for(world.users["agency"])))
    assert response.status_code == 200
    (batch,) = response.json()
    assert batch["cases"] == 1
    ready.refresh_from_db()
    assert ready.state == State.IN_REVIEW
