"""Users' roles and what each role may do, and the Account model's own rules."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Account, Role, User
from tests.factories import AccountFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories hash a password for every user; the default hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_new_users_are_csms_by_default(db):
    user = User.objects.create_user("newbie", password="x")
    assert user.role == Role.CSM


def test_admin_role_is_made_staff_on_save(db):
    user = User(username="root", role=Role.ADMIN)
    assert not user.is_staff
    user.save()
    user.refresh_from_db()
    assert user.is_staff


@pytest.mark.parametrize("role", [Role.CSM, Role.MANAGER])
def test_csms_and_managers_are_not_staff_even_if_flagged(db, role):
    user = UserFactory(role=role, is_staff=True)
    user.refresh_from_db()
    assert not user.is_staff


def test_demoted_admin_loses_staff(admin_user):
    assert admin_user.is_staff
    admin_user.role = Role.MANAGER
    admin_user.save()
    admin_user.refresh_from_db()
    assert not admin_user.is_staff


def test_superuser_stays_staff_whatever_the_role(db):
    boss = User.objects.create_superuser("boss", "boss@example.com", "x")
    assert boss.role == Role.CSM
    boss.save()
    boss.refresh_from_db()
    assert boss.is_staff


@pytest.mark.parametrize(
    ("role", "superuser", "sees_all", "configures"),
    [
        pytest.param(Role.CSM, False, False, False, id="csm"),
        pytest.param(Role.MANAGER, False, True, False, id="manager"),
        pytest.param(Role.ADMIN, False, True, True, id="admin"),
        pytest.param(Role.CSM, True, True, True, id="superuser-with-csm-role"),
    ],
)
def test_role_decides_what_a_user_sees_and_configures(role, superuser, sees_all, configures):
    user = User(username="u", role=role, is_superuser=superuser)
    assert user.sees_all_accounts is sees_all
    assert user.can_configure is configures


def test_admin_role_has_every_django_admin_permission_without_permission_rows(admin_user):
    assert not admin_user.is_superuser
    assert admin_user.user_permissions.count() == 0
    assert admin_user.has_perm("accounts.change_account")
    assert admin_user.has_perm("accounts.add_user")
    assert admin_user.has_module_perms("signals")


@pytest.mark.parametrize("role", [Role.CSM, Role.MANAGER])
def test_other_roles_get_no_django_admin_permissions(db, role):
    user = UserFactory(role=role)
    assert not user.has_perm("accounts.change_account")
    assert not user.has_module_perms("accounts")


def test_inactive_admin_has_no_permissions(db):
    admin = UserFactory(role=Role.ADMIN, is_active=False)
    assert not admin.has_perm("accounts.change_account")
    assert not admin.has_module_perms("accounts")


def test_account_external_id_is_unique(csm):
    AccountFactory(external_id="CRM-1", owner=csm)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(external_id="CRM-1", owner=csm, name="Someone else")


def test_accounts_are_listed_by_name(csm):
    for name in ["Zeta", "Alpha", "Mid"]:
        AccountFactory(name=name, owner=csm)
    assert [a.name for a in Account.objects.all()] == ["Alpha", "Mid", "Zeta"]


def test_account_shows_name_and_external_id(csm):
    assert str(AccountFactory(name="Acme", external_id="CRM-7", owner=csm)) == "Acme (CRM-7)"


def test_deleting_the_owner_keeps_the_account_unowned(csm):
    account = AccountFactory(owner=csm)
    csm.delete()
    account.refresh_from_db()
    assert account.owner is None
