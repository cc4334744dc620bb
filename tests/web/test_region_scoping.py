"""What each user sees of the region-scoped records (the querysets' ``visible_to``): a province
its cities, a city itself and its counties, a county itself; an admin without a region all;
an enterprise only its own unit's records, or none."""

import pytest

from wengang.accounts.models import Department, Role, User
from wengang.cases.models import LateClaim, PublicityBatch, ReviewBatch, ReviewTask
from wengang.web.models import Appeal

from .conftest import COUNTY, World

pytestmark = pytest.mark.django_db


def staff(name: str, role: str, region: str, **extra) -> User:
    return User.objects.create_user(name, password=None, role=role, region_code=region, **extra)


@pytest.mark.parametrize(("region", "review", "publicity"), [
    ("360000", {"city", "other"}, {"city"}),     # the province sees both cities
    ("360100", {"city"}, {"city"}),
    ("360200", {"other"}, set()),
    (COUNTY, set(), set()),                        # the batches are the city's, not the county's
])
def test_batches_of_the_region_subtree(world: World, region, review, publicity):
    user = staff(f"agency-{region}", Role.AGENCY, region)
    names = {world.review_batch.pk: "city", world.other_batch.pk: "other"}
    assert {names[b.pk] for b in ReviewBatch.objects.visible_to(user)} == review
    assert {"city" for _ in PublicityBatch.objects.visible_to(user)} == publicity


def test_an_admin_without_a_region_sees_all_and_other_roles_without_one_nothing(world):
    assert ReviewBatch.objects.visible_to(world.users["admin"]).count() == 2
    nobody = staff("lost", Role.AGENCY, "")
    assert not ReviewBatch.objects.visible_to(nobody).exists()
    assert not PublicityBatch.objects.visible_to(nobody).exists()


def test_an_enterprise_sees_no_batch_but_its_own_late_claims_and_appeals(world):
    enterprise, other = world.users["enterprise"], world.users["other_enterprise"]
    assert not ReviewBatch.objects.visible_to(enterprise).exists()
    assert not PublicityBatch.objects.visible_to(enterprise).exists()
    assert list(LateClaim.objects.visible_to(enterprise)) == [world.late_claim]
    assert not LateClaim.objects.visible_to(other).exists()
    appeal = Appeal.objects.create(case=world.own_case, filed_by=enterprise,
                                   filed_at=world.late_claim.filed_at, reason="人数有误")
    assert list(Appeal.objects.visible_to(enterprise)) == [appeal]
    assert not Appeal.objects.visible_to(other).exists()
    assert list(Appeal.objects.visible_to(world.users["agency"])) == [appeal]
    assert not Appeal.objects.visible_to(world.users["other_agency"]).exists()


def test_a_reviewer_sees_its_departments_tasks_in_its_region(world):
    assert list(ReviewTask.objects.for_reviewer(world.users["department"])) == [world.tax_task]
    province_tax = staff("tax-jx", Role.DEPARTMENT, "360000", department=Department.TAX)
    assert set(ReviewTask.objects.for_reviewer(province_tax)) == {world.tax_task,
                                                                   world.other_task}
    market = staff("market", Role.DEPARTMENT, "360100", department=Department.MARKET)
    assert list(ReviewTask.objects.for_reviewer(market)) == [world.market_task]
    assert not ReviewTask.objects.for_reviewer(world.users["agency"]).exists()
    no_region = staff("tax-none", Role.DEPARTMENT, "", department=Department.TAX)
    assert not ReviewTask.objects.for_reviewer(no_region).exists()
