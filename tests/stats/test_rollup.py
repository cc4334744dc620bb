"""The national roll-up: two cities' signed files imported by a province add up to the sum, for
the refunds and the training subsidies alike."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import Role, User
from wengang.stats import kpis, training_figures
from wengang.stats.errors import RollupFileInvalid, RollupOverlaps, SignatureInvalid, StatsError
from wengang.stats.models import SUMMARY_MODELS, CaseCount, Rollup, TrainingCount
from wengang.stats.refresh import refresh
from wengang.stats.rollup import export, import_file, sign

from .conftest import JIANGXI, JINGDEZHEN, NANCHANG

pytestmark = pytest.mark.django_db
KEY = "ab" * 32


@pytest.fixture(autouse=True)
def stats_key(monkeypatch):
    monkeypatch.setenv("WENGANG_STATS_KEY", KEY)


def _everything(scope):
    return (kpis.headline(scope), kpis.breakdown(scope, "program"), kpis.breakdown(scope, "size"),
            kpis.breakdown(scope, "industry"), kpis.breakdown(scope, "week"),
            kpis.time_to_money(scope), kpis.review_compliance(scope), kpis.by_channel(scope),
            kpis.receivables(scope), kpis.pipeline(scope))


def _turned_provincial() -> None:
    """This database becomes a provincial deployment: no summary row of its own."""
    for model in SUMMARY_MODELS:
        model.objects.all().delete()
    Rollup.objects.all().delete()


def _resigned(document: dict) -> bytes:
    document.pop("signature", None)
    document["signature"] = {"algorithm": "HMAC-SM3", "value": sign(document)}
    return json.dumps(document).encode()


@pytest.fixture
def city_files(scenario):
    """Each city's file, then this database turned into a provincial deployment (no cases)."""
    refresh()
    files = {code: export(code) for code in (NANCHANG, JINGDEZHEN, JIANGXI)}
    before = {code: _everything(code) for code in (NANCHANG, JINGDEZHEN, JIANGXI)}
    _turned_provincial()
    return files, before


def _sum(a: kpis.Figures, b: kpis.Figures) -> tuple:
    return tuple(getattr(a, f) + getattr(b, f) for f in (
        "eligible", "eligible_fen", "reached", "paid", "paid_fen", "net_fen", "insured"))


def test_the_roll_up_of_two_cities_equals_their_sum(city_files):
    files, before = city_files
    assert kpis.headline(JIANGXI).paid == 0
    for code in (NANCHANG, JINGDEZHEN):
        import_file(files[code], name=f"{code}.json")
    province = kpis.headline(JIANGXI)
    nanchang, jingdezhen = before[NANCHANG][0], before[JINGDEZHEN][0]
    assert _sum(nanchang, jingdezhen) == (province.eligible, province.eligible_fen,
                                          province.reached, province.paid, province.paid_fen,
                                          province.net_fen, province.insured)
    assert (province.paid, province.paid_fen) == (5, 1_850_000)
    # Every other figure of each city and of the province is what its own data gave.
    for code in (NANCHANG, JINGDEZHEN, JIANGXI):
        assert _everything(code) == before[code]
    assert {r.source for r in Rollup.objects.all()} == {NANCHANG, JINGDEZHEN}
    assert [row.key for row in kpis.breakdown(JIANGXI, "region")] == [NANCHANG, JINGDEZHEN]


def _training_everything(scope):
    return (training_figures.headline(scope),
            *(training_figures.breakdown(scope, by) for by in training_figures.DIMENSIONS),
            training_figures.receivables(scope))


def test_the_training_subsidies_roll_up_too_and_apart_from_the_refunds(scenario, training):
    refresh()
    files = {code: export(code) for code in (NANCHANG, JINGDEZHEN)}
    before = {code: (_everything(code), _training_everything(code))
              for code in (NANCHANG, JINGDEZHEN, JIANGXI)}
    _turned_provincial()
    assert training_figures.headline(JIANGXI).paid == 0

    for code in (NANCHANG, JINGDEZHEN):
        import_file(files[code], name=f"{code}.json")

    for code in (NANCHANG, JINGDEZHEN, JIANGXI):
        assert (_everything(code), _training_everything(code)) == before[code]
    province = training_figures.headline(JIANGXI)
    assert (province.eligible, province.paid, province.paid_fen) == (7, 5, 765_200)
    assert (province.persons, province.persons_paid, province.units) == (5, 3, 1)
    assert set(TrainingCount.objects.values_list("source", flat=True)) == {NANCHANG, JINGDEZHEN}


def test_a_file_of_the_first_format_brings_the_refunds_and_no_training_subsidies(
        scenario, training):
    refresh()
    refunds_before = _everything(NANCHANG)
    document = json.loads(export(NANCHANG))
    assert document["format"] == "wengang-rollup/2" and "trainingcount" in document["tables"]
    document["format"] = "wengang-rollup/1"  # as an earlier release wrote it: refunds only
    document["tables"] = {name: table for name, table in document["tables"].items()
                          if not name.startswith("training")}
    _turned_provincial()

    import_file(_resigned(document), name="old-release.json")

    assert _everything(NANCHANG) == refunds_before
    assert training_figures.headline(NANCHANG) == training_figures.TrainingHeadline()


def test_a_file_missing_a_training_table_is_refused(scenario, training):
    refresh()
    document = json.loads(export(NANCHANG))
    del document["tables"]["trainingpaymentday"]
    _turned_provincial()
    with pytest.raises(RollupFileInvalid) as refused:
        import_file(_resigned(document), name="nanchang.json")
    assert "数据表 trainingpaymentday 缺失" in refused.value.zh
    assert not Rollup.objects.exists() and not TrainingCount.objects.exists()


def test_a_region_counting_its_own_training_subsidies_imports_none_of_them_again(training):
    refresh()  # training cases only: no refund row of its own
    body = export(NANCHANG)
    with pytest.raises(RollupOverlaps):
        import_file(body, name="nanchang.json")


def test_a_newer_file_of_a_city_replaces_its_rows(city_files):
    files, _before = city_files
    import_file(files[NANCHANG], name="a.json")
    rows = CaseCount.objects.count()
    import_file(files[NANCHANG], name="again.json")
    assert CaseCount.objects.count() == rows
    assert kpis.headline(NANCHANG).paid == 4


def test_an_altered_file_is_refused_and_nothing_imported(city_files):
    files, _before = city_files
    document = json.loads(files[NANCHANG])
    rows = document["tables"]["paymentcount"]["rows"]
    rows[0][rows[0].index(max(v for v in rows[0] if isinstance(v, int)))] += 100  # more money
    with pytest.raises(SignatureInvalid) as refused:
        import_file(json.dumps(document).encode(), name="nanchang.json")
    assert "签名校验失败" in refused.value.zh and "signature" in refused.value.en
    assert not CaseCount.objects.exists() and not Rollup.objects.exists()


def test_a_file_signed_with_another_key_is_refused(city_files, monkeypatch):
    files, _before = city_files
    monkeypatch.setenv("WENGANG_STATS_KEY", "cd" * 32)
    with pytest.raises(SignatureInvalid):
        import_file(files[NANCHANG], name="nanchang.json")
    assert not Rollup.objects.exists()


@pytest.mark.parametrize(("body", "message"), [
    (b"\xff\xfe", "不是 UTF-8 JSON"),
    (b"[]", "格式标识"),
    (json.dumps({"format": "wengang-rollup/1"}).encode(), "缺少 HMAC-SM3 签名"),
])
def test_a_file_that_is_not_a_roll_up_is_refused(city_files, body, message):
    with pytest.raises(RollupFileInvalid) as refused:
        import_file(body, name="x.json")
    assert message in refused.value.zh


def test_rows_outside_the_files_region_are_refused_even_when_signed(city_files):
    files, _before = city_files
    document = json.loads(files[JINGDEZHEN])
    document["tables"]["casecount"]["rows"][0][0] = "360102"  # a Nanchang county
    with pytest.raises(RollupFileInvalid) as refused:
        import_file(_resigned(document), name="jdz.json")
    assert "不在 360200 内" in refused.value.zh
    assert not Rollup.objects.exists()


@pytest.mark.parametrize(("column", "value"), [("cases", -1), ("cases", "5"), ("cases", True),
                                               ("program", 7), ("program", "x" * 33)])
def test_cells_the_tables_cannot_hold_are_refused_even_when_signed(city_files, column, value):
    files, _before = city_files
    document = json.loads(files[JINGDEZHEN])
    table = document["tables"]["casecount"]
    table["rows"][0][table["columns"].index(column)] = value
    with pytest.raises(RollupFileInvalid) as refused:
        import_file(_resigned(document), name="jdz.json")
    assert f"{column} 值无效" in refused.value.zh
    assert not Rollup.objects.exists()


def test_a_region_counted_locally_is_not_imported_twice(scenario):
    refresh()
    body = export(NANCHANG)
    with pytest.raises(RollupOverlaps):
        import_file(body, name="nanchang.json")
    assert Rollup.objects.count() == 1  # only the local one


def test_a_province_file_overlapping_an_imported_city_is_refused(city_files):
    files, _before = city_files
    import_file(files[NANCHANG], name="nanchang.json")
    with pytest.raises(RollupOverlaps) as refused:
        import_file(files[JIANGXI], name="jiangxi.json")
    assert "重复计数" in refused.value.zh
    assert set(Rollup.objects.values_list("source", flat=True)) == {NANCHANG}
    assert kpis.headline(JIANGXI).paid == 4  # Nanchang's only


def test_an_older_file_does_not_replace_a_newer_one(scenario):
    from datetime import date

    from wengang.core.clock import clock

    refresh()
    older = export(JINGDEZHEN)
    with clock.frozen(date(2020, 5, 21)):
        refresh()
        newer = export(JINGDEZHEN)
    _turned_provincial()
    import_file(newer, name="newer.json")
    with pytest.raises(RollupFileInvalid) as refused:
        import_file(older, name="older.json")
    assert "比已导入的版本旧" in refused.value.zh
    assert Rollup.objects.get().as_of == date(2020, 5, 21)


def test_nothing_to_export_before_a_refresh(scenario):
    with pytest.raises(StatsError) as refused:
        export(NANCHANG)
    assert refused.value.code == "rollup_nothing"


def test_the_roll_up_page_imports_files_and_shows_errors(city_files):
    files, _before = city_files
    supervisor = User.objects.create_user("jx", password=None, role=Role.SUPERVISOR,
                                          region_code=JIANGXI)
    client = Client()
    client.force_login(supervisor)
    uploads = [SimpleUploadedFile(f"{code}.json", files[code], "application/json")
               for code in (NANCHANG, JINGDEZHEN)]
    response = client.post(reverse("stats:rollups"), {"files": uploads})
    assert response.status_code == 302
    page = client.get(reverse("stats:rollups")).content.decode()
    assert NANCHANG in page and JINGDEZHEN in page
    _turned_provincial()
    good = SimpleUploadedFile("good.json", files[NANCHANG])
    bad = SimpleUploadedFile("bad.json", files[JINGDEZHEN].replace(b'"360200"', b'"360100"', 1))
    response = client.post(reverse("stats:rollups"), {"files": [good, bad]})
    assert response.status_code == 400
    assert "签名校验失败" in response.content.decode()
    assert not Rollup.objects.exists() and not CaseCount.objects.exists()  # not even the good one


@pytest.mark.parametrize(("size", "valid"), [(20 * 1024 * 1024 - 1, True),
                                             (20 * 1024 * 1024, True),
                                             (20 * 1024 * 1024 + 1, False)])
def test_the_upload_form_takes_files_up_to_20_mb(size, valid):
    from django.utils.datastructures import MultiValueDict

    from wengang.stats.forms import MAX_FILE_BYTES, RollupImportForm

    assert MAX_FILE_BYTES == 20 * 1024 * 1024
    upload = SimpleUploadedFile("big.json", b"x" * size, "application/json")
    form = RollupImportForm({}, MultiValueDict({"files": [upload]}))
    assert form.is_valid() is valid
    if not valid:
        assert "超过 20 MB" in str(form.errors["files"])
