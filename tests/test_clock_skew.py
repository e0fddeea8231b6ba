"""App servers behind a load balancer disagree on the time by a few seconds: a session cookie or a CSRF token
signed by a server whose clock is ahead must still work on one that is behind, up to 60 s; further in the
future, or older than the session lifetime, it is refused."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from itsdangerous import BadSignature, SignatureExpired

from app.sessions import CLOCK_SKEW_SECONDS, SkewTolerantSerializer
from tests.conftest import csrf_token_from
from tests.factories import make_user


def signed_in_at(client, auth, user, offset):
    """Sign in on a server whose clock is `offset` away from ours; returns a CSRF token of a page it served."""
    with time_machine.travel(datetime.now(timezone.utc) + offset, tick=False):
        assert auth.login(user.email).status_code in (302, 303)
        return csrf_token_from(client.get("/more").get_data(as_text=True))


def is_signed_in(client):
    response = client.get("/more")
    return response.status_code == 200 and "/login" not in response.headers.get("Location", "")


def test_a_session_signed_by_a_server_30_s_ahead_is_accepted(client, auth):
    user = make_user(email="an@example.vn")
    token = signed_in_at(client, auth, user, timedelta(seconds=30))
    assert is_signed_in(client)
    # the page's CSRF token, signed 30 s "ahead" too, still lets the rep sign out with a POST
    assert client.post("/logout", data={"csrf_token": token}).status_code in (302, 303)
    assert not is_signed_in(client)


def test_a_session_signed_10_min_in_the_future_is_refused(client, auth):
    user = make_user(email="an@example.vn")
    token = signed_in_at(client, auth, user, timedelta(minutes=10))
    response = client.get("/more")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/logout", data={"csrf_token": token}).status_code in (302, 400)
    assert not is_signed_in(client)


def test_a_session_older_than_its_lifetime_is_refused_and_a_recent_one_kept(app, client, auth):
    user = make_user(email="an@example.vn")
    lifetime = app.permanent_session_lifetime
    signed_in_at(client, auth, user, -(lifetime - timedelta(minutes=5)))
    assert is_signed_in(client)  # 13 days 23 h 55 min old (and the visit re-signs it)
    other = make_user(email="binh@example.vn")
    fresh = client.application.test_client()
    signed_in_at(fresh, type(auth)(fresh), other, -(lifetime + timedelta(minutes=5)))
    assert not is_signed_in(fresh)


@pytest.mark.parametrize("ahead, accepted", [(0, True), (30, True), (CLOCK_SKEW_SECONDS, True),
                                             (CLOCK_SKEW_SECONDS + 5, False), (600, False)])
def test_the_shared_serializer_tolerates_60_s_of_skew_and_no_more(ahead, accepted):
    serializer = SkewTolerantSerializer("secret", salt="any-signed-link")
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(seconds=ahead), tick=False):
        signed = serializer.dumps({"quote": 7})
    if accepted:
        assert serializer.loads(signed, max_age=3600) == {"quote": 7}
    else:
        with pytest.raises(SignatureExpired):
            serializer.loads(signed, max_age=3600)
    assert serializer.loads(signed) == {"quote": 7}  # without a max age, the date is not checked (as itsdangerous)


def test_the_shared_serializer_still_expires_old_signatures_and_refuses_forged_ones():
    serializer = SkewTolerantSerializer("secret", salt="any-signed-link")
    with time_machine.travel(datetime.now(timezone.utc) - timedelta(hours=2), tick=False):
        old = serializer.dumps("x")
    with pytest.raises(SignatureExpired):
        serializer.loads(old, max_age=3600)
    assert serializer.loads(old, max_age=3 * 3600) == "x"
    with pytest.raises(BadSignature):
        SkewTolerantSerializer("other", salt="any-signed-link").loads(old, max_age=3 * 3600)
