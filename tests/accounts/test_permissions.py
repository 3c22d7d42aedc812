"""Who sees which accounts: `Account.objects.visible_to(user)` is the one place that decides."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Account, Role, User
from tests.factories import AccountFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories hash a password for every user; the default hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_csm(db):
    return UserFactory(username="riley", role=Role.CSM)


@pytest.fixture
def book(csm, other_csm):
    """Two accounts for casey, one for riley, one nobody owns."""
    return {
        "casey-1": AccountFactory(name="Casey One", owner=csm),
        "casey-2": AccountFactory(name="Casey Two", owner=csm),
        "riley": AccountFactory(name="Riley One", owner=other_csm),
        "unowned": AccountFactory(name="Unowned", owner=None),
    }


def visible_names(user) -> set[str]:
    return set(Account.objects.visible_to(user).values_list("name", flat=True))


ALL = {"Casey One", "Casey Two", "Riley One", "Unowned"}


def test_csm_sees_only_their_own_accounts(book, csm, other_csm):
    assert visible_names(csm) == {"Casey One", "Casey Two"}
    assert visible_names(other_csm) == {"Riley One"}


def test_csm_without_accounts_sees_none(book):
    assert visible_names(UserFactory(role=Role.CSM)) == set()


def test_manager_sees_every_account_including_unowned(book, manager):
    assert visible_names(manager) == ALL


def test_admin_sees_every_account(book, admin_user):
    assert visible_names(admin_user) == ALL


def test_superuser_sees_every_account_whatever_the_role(book):
    boss = User.objects.create_superuser("boss", "boss@example.com", "x")
    assert boss.role == Role.CSM
    assert visible_names(boss) == ALL


def test_anonymous_visitor_sees_nothing(book):
    assert visible_names(AnonymousUser()) == set()


@pytest.mark.parametrize("role", [Role.CSM, Role.MANAGER, Role.ADMIN])
def test_inactive_user_sees_nothing(book, csm, role):
    csm.role = role
    csm.is_active = False
    csm.save()
    assert visible_names(csm) == set()


def test_reassigned_account_moves_to_the_new_owners_book(book, csm, other_csm):
    account = book["casey-1"]
    account.owner = other_csm
    account.save()
    assert visible_names(csm) == {"Casey Two"}
    assert visible_names(other_csm) == {"Riley One", "Casey One"}


def test_visible_to_is_a_queryset_that_further_filters_stay_within(book, csm):
    narrowed = Account.objects.visible_to(csm).filter(name__startswith="R")
    assert not narrowed.exists()
    assert Account.objects.filter(name__startswith="R").exists()


# --- pages apply the same rules ----------------------------------------------------------------


def test_csm_may_not_open_the_import_page(client, csm):
    client.force_login(csm)
    assert client.get("/import/").status_code == 403


@pytest.mark.parametrize("who", ["manager", "admin_user"])
def test_managers_and_admins_may_open_the_import_page(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/import/").status_code == 200


def test_admin_role_can_use_the_django_admin(client, admin_user, book):
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    page = client.get("/admin/accounts/account/")
    assert page.status_code == 200
    assert "Riley One" in page.content.decode()


@pytest.mark.parametrize("who", ["csm", "manager"])
def test_csms_and_managers_are_kept_out_of_the_django_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/accounts/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
