import pytest
from django.db import IntegrityError

from wengang.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_a_staff_user_is_scoped_to_a_six_digit_region():
    user = User.objects.create_user("reviewer", password="x-long-password", role=Role.AGENCY,
                                    region_code="360100")
    assert User.objects.get(pk=user.pk).region_code == "360100"


def test_the_database_refuses_a_region_code_that_is_not_six_digits():
    with pytest.raises(IntegrityError):
        User.objects.create_user("bad", password="x-long-password", region_code="3601")
