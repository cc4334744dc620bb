"""Roles and region subtrees: a province sees its cities, a city itself and its counties."""

import pytest

from wengang.accounts.models import STAFF_ROLES, Role, User


@pytest.mark.parametrize(("mine", "theirs", "covered"), [
    ("360000", "360102", True),    # province → county of one of its cities
    ("360100", "360100", True),    # city → itself
    ("360100", "360102", True),    # city → its county
    ("360100", "360200", False),   # city → another city
    ("360102", "360100", False),   # county → its city
    ("360102", "360103", False),   # county → a sibling county
    ("", "360100", False),         # no region set: nothing
    ("360100", "999999", False),   # an unknown code is never inside
])
def test_a_staff_user_covers_its_region_subtree(mine, theirs, covered):
    assert User(role=Role.AGENCY, region_code=mine).covers_region(theirs) is covered


def test_an_admin_without_a_region_covers_everything_and_an_enterprise_no_region():
    assert User(role=Role.ADMIN, region_code="").covers_region("360200")
    assert not User(role=Role.ENTERPRISE, region_code="360102").covers_region("360102")


def test_every_role_but_the_enterprise_and_the_person_is_staff():
    assert set(Role) - STAFF_ROLES == {Role.ENTERPRISE, Role.PERSON}
    assert {Role.SUPERVISOR, Role.SERVICE_OFFICER} <= STAFF_ROLES


@pytest.mark.django_db
def test_an_admin_resets_a_lost_authenticator_by_deleting_the_device(admin_client):
    from datetime import datetime

    from django.urls import reverse

    from wengang.accounts import login
    from wengang.accounts.models import TOTPDevice
    from wengang.core.clock import CHINA

    officer = User.objects.create_user("officer", password=None, role=Role.AGENCY,
                                       region_code="360100")
    device = TOTPDevice.objects.create(user=officer, secret="JBSWY3DPEHPK3PXP",
                                       created_at=datetime(2020, 4, 1, tzinfo=CHINA),
                                       confirmed_at=datetime(2020, 4, 1, tzinfo=CHINA))
    page = admin_client.get(reverse("admin:accounts_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and "JBSWY3DPEHPK3PXP" not in page.content.decode()
    admin_client.post(reverse("admin:accounts_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert login.needs_enrolment(officer)
