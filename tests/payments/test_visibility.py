"""Who sees a payment batch: the region of its paying account, as the console and the API ask
``PaymentBatch.objects.visible_to``."""

import pytest

from wengang.accounts.models import Role, User
from wengang.payments.models import PaymentBatch

from .world import CITY, COUNTY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "region", "sees"), [
    (Role.AGENCY, CITY, True),
    (Role.FINANCE, CITY, True),
    (Role.AGENCY, "360000", True),        # the province sees its cities' batches
    (Role.AGENCY, COUNTY, False),         # a county does not see the city's account
    (Role.AGENCY, "360200", False),       # another city
    (Role.AGENCY, "", False),             # staff without a region: nothing
    (Role.ADMIN, "", True),               # an admin without a region: all
    (Role.ENTERPRISE, CITY, False),
])
def test_a_batch_is_visible_in_the_region_of_its_paying_account(people, exported, role, region,
                                                                sees):
    batch, _, _ = exported
    user = User.objects.create_user(f"viewer-{role}-{region}", password=None, role=role,
                                    region_code=region)
    assert list(PaymentBatch.objects.visible_to(user)) == ([batch] if sees else [])
