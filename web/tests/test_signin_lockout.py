"""Brute force held everywhere: the ten-failure bound under concurrency, the same lockout at /admin/login/,
401 for a missing or bad API token, and a maximum password length."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Company, Membership, SignInFailure
from accounts.services import issue_api_token
from accounts.signin import SIGN_IN_FAILURE_LIMIT, record_sign_in_failure
from web.tests.dashboard_data import PASSWORD, World, fast_hashing, make_member

EMAIL = "ana@juniper.test"


class SlowishHasher(PBKDF2PasswordHasher):
    """A few milliseconds a check, as a real hasher takes a while: the window in which concurrent guesses
    slipped past a count taken before the check and recorded after it."""

    iterations = 20_000


@pytest.mark.django_db(transaction=True)
def test_forty_concurrent_wrong_passwords_get_exactly_ten_checks(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.SlowishHasher"]
    make_member(EMAIL, "Juniper & Pine Co.")
    start = threading.Barrier(40)
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(number: int) -> None:
        try:
            start.wait()
            response = Client().post("/accounts/login/", {"username": EMAIL, "password": f"wrong-{number}"})
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()  # each thread had a connection of its own

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # 400: the password was checked and was wrong; 429: refused unchecked, the email being locked.
    assert Counter(statuses) == {400: SIGN_IN_FAILURE_LIMIT, 429: 40 - SIGN_IN_FAILURE_LIMIT}
    assert SignInFailure.objects.filter(username=EMAIL).count() == SIGN_IN_FAILURE_LIMIT
    assert Client().post("/accounts/login/", {"username": EMAIL, "password": PASSWORD}).status_code == 429


@pytest.fixture
def staff(db: None, fast_hashing: None) -> Any:
    user, _ = make_member(EMAIL, "Juniper & Pine Co.")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def admin_sign_in(client: Client, password: str, username: str = EMAIL) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_a_wrong_password_at_the_admin_counts_as_a_failure_of_that_email(staff: Any) -> None:
    response = admin_sign_in(Client(), "wrong")

    assert response.status_code == 200 and "correct username and password" in response.content.decode()
    assert SignInFailure.objects.filter(username=EMAIL).count() == 1


def test_an_email_locked_at_the_accounts_page_cannot_sign_in_at_the_admin(staff: Any) -> None:
    for _ in range(SIGN_IN_FAILURE_LIMIT):
        assert Client().post("/accounts/login/", {"username": EMAIL, "password": "wrong"}).status_code == 400
    client = Client()

    response = admin_sign_in(client, PASSWORD)

    assert response.status_code == 200
    assert "Too many failed sign-ins for this email. Try again in 15 minutes." in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still signed out
    assert SignInFailure.objects.filter(username=EMAIL).count() == SIGN_IN_FAILURE_LIMIT


def test_ten_failures_at_the_admin_lock_the_accounts_page_too(staff: Any) -> None:
    for _ in range(SIGN_IN_FAILURE_LIMIT):
        admin_sign_in(Client(), "wrong", username="Ana@Juniper.test")

    response = Client().post("/accounts/login/", {"username": EMAIL, "password": PASSWORD})

    assert response.status_code == 429


def test_a_right_password_at_the_admin_signs_in_and_clears_the_failures(staff: Any) -> None:
    record_sign_in_failure(username=EMAIL)
    client = Client()

    response = admin_sign_in(client, PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert not SignInFailure.objects.exists()


@pytest.mark.django_db
def test_a_password_longer_than_the_maximum_is_refused_at_sign_up_and_unchecked_at_sign_in(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    too_long = "matcha-" * 600  # 4,200 characters
    form = {"company_name": "Kettle & Leaf", "email": "mia@kettle.test", "password1": too_long, "password2": too_long}

    response = Client().post("/accounts/signup/", form)

    assert response.status_code == 400
    assert "This password is too long: at most 4096 characters." in response.content.decode()
    assert not get_user_model().objects.filter(username="mia@kettle.test").exists()

    longest = too_long[:4096]
    assert Client().post("/accounts/signup/", {**form, "password1": longest, "password2": longest}).status_code == 302
    refused = Client().post("/accounts/login/", {"username": "mia@kettle.test", "password": "x" * 1_000_000})
    assert refused.status_code == 400
    assert SignInFailure.objects.filter(username="mia@kettle.test").count() == 1


def assert_token_challenge(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["message"]


@pytest.mark.usefixtures(fast_hashing.__name__)
def test_a_missing_bad_or_revoked_token_is_a_401_with_a_token_challenge(world: World) -> None:
    assert_token_challenge(APIClient().get("/products"))
    assert_token_challenge(APIClient().post("/products/trigger-discovery", {}, format="json"))
    for header in ["Token mtc_" + "0" * 40, "Token", "Token a b", "Bearer x", "Token é"]:
        assert_token_challenge(APIClient().get("/products", HTTP_AUTHORIZATION=header))
    revoked = issue_api_token(user=world.user)
    issue_api_token(user=world.user)  # replaces, and so revokes, the first
    assert_token_challenge(APIClient().get("/products", HTTP_AUTHORIZATION=f"Token {revoked}"))


@pytest.mark.usefixtures(fast_hashing.__name__)
def test_a_valid_token_without_the_right_is_still_a_403(world: World) -> None:
    stranger = get_user_model().objects.create(username="lone@nowhere.test", email="lone@nowhere.test")
    assert not Membership.objects.filter(user=stranger).exists() and Company.objects.exists()
    key = issue_api_token(user=stranger)

    response = APIClient().get("/products", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 403
    assert response.json()["message"] == "Your account is not a member of any company."


def test_the_async_authenticate_goes_through_the_same_lockout(staff: Any) -> None:
    from asgiref.sync import async_to_sync
    from django.contrib.auth import aauthenticate

    assert async_to_sync(aauthenticate)(None, username=EMAIL, password=PASSWORD) == staff
    for _ in range(SIGN_IN_FAILURE_LIMIT):
        assert async_to_sync(aauthenticate)(None, username=EMAIL, password="wrong") is None

    assert async_to_sync(aauthenticate)(None, username=EMAIL, password=PASSWORD) is None
    assert SignInFailure.objects.filter(username=EMAIL).count() == SIGN_IN_FAILURE_LIMIT
