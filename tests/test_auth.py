"""Signing in and out: sessions, enumeration, redirects, rate limits, deactivation."""
import pytest

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD
from tests.factories import make_user


def test_login_with_right_password_opens_today(client, auth):
    user = make_user(email="an@example.vn")
    response = auth.login("AN@example.vn")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Hôm nay" in page and user.name in page
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_and_unknown_email_look_the_same(client, auth):
    make_user(email="an@example.vn")
    wrong = auth.login("an@example.vn", password="nope-nope-nope")
    unknown = auth.login("nobody@example.vn", password="nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_deactivated_user_cannot_sign_in_and_gets_the_same_message(auth):
    make_user(email="old@example.vn", active=False)
    response = auth.login("old@example.vn")
    assert response.status_code == 400
    assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_empty_fields_get_errors_next_to_them(client, auth):
    page = client.get("/login").get_data(as_text=True)
    from tests.conftest import csrf_token_from

    response = client.post("/login", data={"csrf_token": csrf_token_from(page), "email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("Trường bắt buộc") == 2
    assert 'id="email-error"' in html and 'aria-invalid="true"' in html


@pytest.mark.parametrize("target", ["/customers?q=abc", "/pipeline"])
def test_next_goes_to_a_local_path(auth, target):
    make_user(email="an@example.vn")
    response = auth.login("an@example.vn", next_path=target.replace("?", "%3F").replace("=", "%3D"))
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/x", "/\\evil.com", "javascript:alert(1)", "%2F%2Fevil.com"])
def test_next_never_leaves_the_site(auth, target):
    make_user(email="an@example.vn")
    response = auth.login("an@example.vn", next_path=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/customers?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_anonymous_htmx_request_gets_a_client_redirect(client):
    response = client.get("/customers", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


def test_repeated_failures_are_rate_limited_not_locked_forever(app, client, auth):
    make_user(email="an@example.vn")
    codes = [auth.login("an@example.vn", password="wrong-password").status_code for _ in range(10)]
    assert codes == [400] * 10
    limited = auth.login("an@example.vn")
    assert limited.status_code == 429
    assert "Quá nhiều lần thử" in limited.get_data(as_text=True)
    # A time window, not a lockout: the client is told when to retry.
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client, auth):
    make_user(email="an@example.vn")
    response = auth.login("an@example.vn")
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    assert cookies, "login must set the session cookie"
    assert "HttpOnly" in cookies[-1] and "SameSite=Lax" in cookies[-1]


def test_secure_cookie_is_the_default_outside_tests(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    assert app.debug is False


def test_login_starts_a_fresh_session(client, auth):
    make_user(email="an@example.vn")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login("an@example.vn")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert "_user_id" in sess


def test_logout_ends_access(client, auth):
    make_user(email="an@example.vn")
    auth.login("an@example.vn")
    with client.session_transaction() as sess:
        stolen = dict(sess)
    assert auth.logout().status_code == 303
    assert client.get("/").status_code == 302
    assert client.get("/logout").status_code == 405  # GET never changes state
    # Replaying the old cookie after a password change does not work either.
    user = User.by_email("an@example.vn")
    user.set_password("another-password-1")
    db.session.commit()
    with client.session_transaction() as sess:
        sess.update(stolen)
    assert client.get("/").status_code == 302


def test_deactivation_ends_access_on_the_next_request(client, auth):
    user = make_user(email="an@example.vn")
    auth.login("an@example.vn")
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_role_change_takes_effect_on_the_next_request(client, auth):
    user = make_user(email="an@example.vn")
    auth.login("an@example.vn")
    assert client.get("/admin/users").status_code == 403
    user.role = "admin"
    db.session.commit()
    assert client.get("/admin/users").status_code == 200
    user.role = "rep"
    db.session.commit()
    assert client.get("/admin/users").status_code == 403


def test_passwords_are_hashed(app):
    user = make_user(email="an@example.vn")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:")  # tests use a cheap setting; production scrypt


def test_every_failed_sign_in_costs_one_password_check(monkeypatch):
    """Unknown, deactivated and wrong-password accounts all spend a hash check: timing reveals nothing."""
    import app.models.users as users_module
    from app.services.auth.signin import authenticate

    make_user(email="live@example.vn")
    make_user(email="gone@example.vn", active=False)
    make_user(email="invited@example.vn", password=None)
    calls = []
    real = users_module.check_password_hash
    monkeypatch.setattr(users_module, "check_password_hash", lambda *a: calls.append(1) or real(*a))
    for email, password in [("nobody@example.vn", PASSWORD), ("gone@example.vn", PASSWORD),
                            ("live@example.vn", "wrong-password"), ("invited@example.vn", PASSWORD)]:
        calls.clear()
        assert authenticate(email, password) is None
        assert len(calls) == 1, email
    assert authenticate("LIVE@example.vn", PASSWORD).email == "live@example.vn"


def test_successful_sign_ins_do_not_use_up_the_limit(client, auth):
    for n in range(12):  # colleagues in one office share an address
        make_user(email=f"staff{n}@example.vn")
    for n in range(12):
        assert auth.login(f"staff{n}@example.vn").status_code == 303
        auth.logout()


def test_one_accounts_failures_do_not_lock_out_a_colleague(client, auth):
    make_user(email="an@example.vn")
    make_user(email="binh@example.vn")
    for _ in range(10):
        auth.login("an@example.vn", password="wrong-password")
    assert auth.login("an@example.vn").status_code == 429
    assert auth.login("binh@example.vn").status_code == 303


def test_cookies_copied_before_sign_out_no_longer_work(app, client, auth):
    make_user(email="an@example.vn")
    auth.login("an@example.vn", remember=True)
    copied = {cookie.key: cookie.value for cookie in client._cookies.values()}
    assert {"session", "remember_token"} <= set(copied)
    auth.logout()
    for name in ("session", "remember_token"):
        thief = app.test_client()
        thief.set_cookie(name, copied[name])
        assert thief.get("/").status_code == 302, name


def test_sign_out_deletes_the_remember_me_cookie(client, auth):
    make_user(email="an@example.vn")
    response = auth.login("an@example.vn", remember=True)
    assert any(v.startswith("remember_token=") for k, v in response.headers.items() if k == "Set-Cookie")
    logout = auth.logout()
    deleted = [v for k, v in logout.headers.items() if k == "Set-Cookie" and v.startswith("remember_token=")]
    assert deleted and ("Max-Age=0" in deleted[0] or "1970" in deleted[0])
    assert client.get("/").status_code == 302


def test_with_redis_every_worker_shares_the_sign_in_counter(tmp_path, monkeypatch):
    """REDIS_URL switches rate-limit storage to Redis; two app instances (workers) see one count."""
    import uuid

    import redis

    from app import create_app
    from app.extensions import limiter

    url = "redis://127.0.0.1:6379/15"
    # Runs of the suite may share this Redis at the same moment (the shifted-clock runs of scripts/run-tests.sh
    # run side by side): this run's counters live under its own prefix, and only they are deleted afterwards.
    prefix = f"fieldcrm-test-{uuid.uuid4().hex}"
    store = redis.Redis.from_url(url)
    monkeypatch.setenv("REDIS_URL", url)
    workers = [create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.db",
                           "WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "3 per minute",
                           "RATELIMIT_KEY_PREFIX": prefix}) for _ in range(2)]
    assert workers[0].config["RATELIMIT_STORAGE_URI"] == url
    with workers[0].app_context():
        from app.extensions import db

        db.create_all()
    try:
        codes = [workers[n % 2].test_client().post("/login", data={"email": "x@example.vn", "password": "wrong-pw"}).status_code
                 for n in range(4)]
        assert codes == [400, 400, 400, 429]
        assert list(store.scan_iter(f"*{prefix}*"))  # the counters really were in Redis, under this run's prefix
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        monkeypatch.delenv("REDIS_URL")
        # The limiter is one object: give it back in-memory storage for the rest of the suite.
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.db",
                    "RATELIMIT_STORAGE_URI": "memory://"})  # without Redis the default is now the database
        assert limiter.storage.__class__.__name__ == "MemoryStorage"
