"""Every state change needs a CSRF token, htmx requests included."""
from app.extensions import db
from app.models import User
from tests.factories import make_user


def test_post_without_token_is_rejected_and_changes_nothing(client, auth):
    make_user(email="an@example.vn")
    auth.login("an@example.vn")
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert User.by_email("an@example.vn").locale == "vi"
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_login_form_without_token_is_rejected(client):
    make_user(email="an@example.vn")
    response = client.post("/login", data={"email": "an@example.vn", "password": "x"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_htmx_request_with_header_token_is_accepted(client, auth):
    make_user(email="an@example.vn")
    auth.login("an@example.vn")
    token = auth.token()
    response = client.post("/language", data={"lang": "en"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert User.by_email("an@example.vn").locale == "en"


def test_token_from_another_session_is_rejected(app, client, auth):
    make_user(email="an@example.vn")
    make_user(email="binh@example.vn")
    other = app.test_client()
    from tests.conftest import AuthActions

    other_auth = AuthActions(other)
    other_auth.login("binh@example.vn")
    foreign_token = other_auth.token()
    auth.login("an@example.vn")
    response = client.post("/language", data={"lang": "en", "csrf_token": foreign_token})
    assert response.status_code == 400
    assert User.by_email("an@example.vn").locale == "vi"
