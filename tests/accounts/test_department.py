"""Departments of joint-review users and the unit of enterprise users."""

import pytest
from django.db import IntegrityError, transaction

from wengang.accounts.models import Department, Role, User

pytestmark = pytest.mark.django_db


def test_a_department_user_reviews_for_its_department():
    user = User.objects.create_user("tax", password=None, role=Role.DEPARTMENT,
                                    region_code="360100", department=Department.TAX)
    assert User.objects.get(pk=user.pk).review_department == "tax"


def test_a_finance_user_reviews_for_finance_by_default():
    user = User.objects.create_user("fin", password=None, role=Role.FINANCE, region_code="360100")
    assert user.review_department == Department.FINANCE


def test_agency_and_enterprise_users_do_not_review():
    assert User(role=Role.AGENCY).review_department is None
    assert User(role=Role.ENTERPRISE).review_department is None


@pytest.mark.parametrize(("role", "department", "uscc"), [
    (Role.AGENCY, Department.TAX, ""),              # only reviewers belong to a department
    (Role.DEPARTMENT, "police", ""),                # not a joint-review department
    (Role.AGENCY, "", "91360102MA35L7XK2B"),        # only enterprise users act for a unit
])
def test_the_database_refuses_inconsistent_users(role, department, uscc):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("bad", password=None, role=role, region_code="360100",
                                 department=department, uscc=uscc)
