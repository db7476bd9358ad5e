"""Sign up (a company and its owner), sign in with an email, sign out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Company, Membership
from web.tests.dashboard_data import PASSWORD, fast_hashing, make_member

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

GOOD = {
    "company_name": "Kettle & Leaf",
    "email": "Mia@Kettle.test",
    "password1": "green-tea-ceremony-77",
    "password2": "green-tea-ceremony-77",
}


@pytest.mark.django_db
def test_signing_up_creates_a_company_and_its_owner_and_signs_in() -> None:
    client = Client()
    response = client.post("/accounts/signup/", GOOD)
    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    user = get_user_model().objects.get(username="mia@kettle.test")
    membership = Membership.objects.get(user=user)
    assert membership.company.name == "Kettle & Leaf" and membership.role == Membership.Role.OWNER
    page = client.get("/dashboard/settings")
    assert page.status_code == 200 and "Kettle &amp; Leaf" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password2": "something-else-entirely"}, "The two passwords differ."),
        ({"password1": "123", "password2": "123"}, "This password is too short."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"company_name": "   "}, "This field is required."),
    ],
)
def test_signing_up_with_bad_input_says_what_is_wrong(change: dict, message: str) -> None:
    response = Client().post("/accounts/signup/", {**GOOD, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Company.objects.count() == 0 and get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_an_email_can_sign_up_only_once() -> None:
    make_member("mia@kettle.test", "First Co.")
    response = Client().post("/accounts/signup/", GOOD)
    assert response.status_code == 400
    assert "An account with this email already exists" in response.content.decode()
    assert Company.objects.count() == 1


@pytest.mark.django_db
def test_signing_in_with_an_email_in_any_case_and_signing_out() -> None:
    make_member("ana@juniper.test", "Juniper & Pine Co.")
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "Ana@Juniper.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    assert client.get("/dashboard/products").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/dashboard/products")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_sign_out_in_another_web_process_ends_the_session_here_too() -> None:
    from accounts.models import UserSession as Session

    make_member("ana@juniper.test", "Juniper & Pine Co.")
    client = Client()
    client.post("/accounts/login/", {"username": "ana@juniper.test", "password": PASSWORD})
    assert client.get("/dashboard/products").status_code == 200

    # Another process's sign-out deletes the session row (and only its own cache's copy).
    Session.objects.all().delete()

    assert client.get("/dashboard/products")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message() -> None:
    make_member("ana@juniper.test", "Juniper & Pine Co.")
    response = Client().post("/accounts/login/", {"username": "ana@juniper.test", "password": "wrong"})
    assert response.status_code == 400
    assert "Please enter a correct email and password" in response.content.decode()


@pytest.mark.django_db
def test_ten_wrong_passwords_lock_the_email_for_a_while_even_for_the_right_one(settings) -> None:
    import datetime as dt

    import time_machine

    from accounts.models import SignInFailure

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_member("ana@juniper.test", "Juniper & Pine Co.")
    start = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        for _ in range(10):
            assert (
                client.post("/accounts/login/", {"username": "Ana@Juniper.test", "password": "wrong"}).status_code
                == 400
            )
        assert SignInFailure.objects.filter(username="ana@juniper.test").count() == 10

        locked = client.post("/accounts/login/", {"username": "ana@juniper.test", "password": PASSWORD})
        assert locked.status_code == 429
        assert "Too many failed sign-ins for this email. Try again in 15 minutes" in locked.content.decode()
        assert locked["Retry-After"] == "901"
        assert client.get("/dashboard/products").status_code == 302  # still signed out
        # Another member's email is not affected.
        make_member("bo@juniper.test", "Juniper & Pine Co.")
        assert (
            Client().post("/accounts/login/", {"username": "bo@juniper.test", "password": PASSWORD}).status_code == 302
        )

        clock.move_to(start + dt.timedelta(minutes=15, seconds=1))
        signed_in = client.post("/accounts/login/", {"username": "ana@juniper.test", "password": PASSWORD})
        assert signed_in.status_code == 302
        assert client.get("/dashboard/products").status_code == 200
        assert not SignInFailure.objects.filter(username="ana@juniper.test").exists()


@pytest.mark.django_db
def test_an_admin_unlocks_an_email_by_deleting_its_failures(admin_client) -> None:
    from accounts.models import SignInFailure
    from accounts.signin import SIGN_IN_FAILURE_LIMIT, record_sign_in_failure, sign_in_locked_for

    for _ in range(SIGN_IN_FAILURE_LIMIT):
        record_sign_in_failure(username="ana@juniper.test")
    assert sign_in_locked_for(username="ana@juniper.test") is not None
    assert "ana@juniper.test" in admin_client.get("/admin/accounts/signinfailure/").content.decode()

    admin_client.post(
        "/admin/accounts/signinfailure/",
        {
            "action": "delete_selected",
            "_selected_action": list(SignInFailure.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )

    assert sign_in_locked_for(username="ana@juniper.test") is None


def _reset_link(mail_body: str) -> str:
    import re

    [link] = re.findall(r"http://testserver(/accounts/reset/\S+/)", mail_body)
    return link


@pytest.mark.django_db
def test_a_member_who_forgot_the_password_resets_it_by_email_and_the_lockout_ends(settings, mailoutbox) -> None:
    from accounts.signin import SIGN_IN_FAILURE_LIMIT, record_sign_in_failure, sign_in_locked_for

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_member("ana@juniper.test", "Juniper & Pine Co.")
    for _ in range(SIGN_IN_FAILURE_LIMIT):
        record_sign_in_failure(username="ana@juniper.test")
    client = Client()
    assert 'href="/accounts/password-reset/"' in client.get("/accounts/login/").content.decode()

    response = client.post("/accounts/password-reset/", {"email": "Ana@Juniper.test"})

    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    [mail] = mailoutbox
    assert mail.to == ["ana@juniper.test"] and mail.subject == "Your Maatchaa password"
    form = client.get(_reset_link(mail.body), follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "another long passphrase"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"

    assert sign_in_locked_for(username="ana@juniper.test") is None
    assert Client().post("/accounts/login/", {"username": "ana@juniper.test", "password": PASSWORD}).status_code == 400
    assert Client().post("/accounts/login/", {"username": "ana@juniper.test", "password": new}).status_code == 302
    # The link worked once.
    assert "This link no longer works" in Client().get(_reset_link(mail.body), follow=True).content.decode()


@pytest.mark.django_db
def test_a_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(mailoutbox) -> None:
    response = Client().post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert mailoutbox == []


@pytest.mark.django_db
def test_without_mail_set_up_there_is_no_password_reset(settings) -> None:
    settings.PASSWORD_RESET_ENABLED = False
    client = Client()
    assert "Forgot your password?" not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/password-reset/").status_code == 404
    assert client.post("/accounts/password-reset/", {"email": "ana@juniper.test"}).status_code == 404
