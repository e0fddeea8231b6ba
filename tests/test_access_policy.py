"""Every route declares who may call it; the declaration is enforced."""
from app.access import PUBLIC, SIGNED_IN, policy_of
from tests.factories import make_user

PUBLIC_ENDPOINTS = {"auth.login", "auth.accept_invitation", "auth.set_language", "main.healthz",
                    "public.quote", "public.quote_pdf", "public.accept", "public.decline",  # the customer's quote link
                    "calendar_feed.feed"}  # the private calendar feed (.ics behind a revocable token)


def test_every_route_declares_an_access_policy(app):
    missing = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and policy_of(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == [], f"routes without an access policy: {missing}"


def test_public_routes_are_exactly_the_expected_ones(app):
    public = {endpoint for endpoint, view in app.view_functions.items() if policy_of(view) == PUBLIC}
    assert public == PUBLIC_ENDPOINTS


def test_a_view_without_policy_is_refused(tmp_path):
    from app import create_app

    probe_app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    probe_app.add_url_rule("/_no_policy_probe", "no_policy_probe", lambda: "secret")
    response = probe_app.test_client().get("/_no_policy_probe")
    assert response.status_code == 403
    assert b"secret" not in response.data


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        args = {name: 1 for name in rule.arguments}
        if "token" in args:
            args["token"] = "x"
        yield rule, rule.build(args, append_unknown=False)[1]


def test_anonymous_visitors_reach_only_public_pages(app, client):
    for rule, url in _get_routes(app):
        response = client.get(url)
        if rule.endpoint in PUBLIC_ENDPOINTS:
            assert response.status_code in (200, 404), url
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], url


def _all_routes(app, methods):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in methods & rule.methods:
            yield rule, method, rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]


def test_reps_and_managers_get_403_on_admin_routes_whatever_the_method(app, client, auth):
    for role in ("rep", "manager"):
        user = make_user(role=role)
        auth.login(user.email)
        token = auth.token()
        for rule, method, url in _all_routes(app, {"GET", "POST"}):
            policy = policy_of(app.view_functions[rule.endpoint])
            if policy in (PUBLIC, SIGNED_IN) or role in policy:  # e.g. merging: managers and admins
                continue
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (role, method, url)
        auth.logout()


def test_routes_that_change_state_refuse_get(app, client, auth):
    admin = make_user(role="admin")
    auth.login(admin.email)
    # A form's address may answer GET with the form (e.g. the reschedule form): only addresses without any GET count.
    has_get = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    post_only = [(rule, url) for rule, _m, url in _all_routes(app, {"POST"})
                 if "GET" not in rule.methods and rule.rule not in has_get]
    assert post_only, "expected POST-only routes"
    for _rule, url in post_only:
        assert client.get(url).status_code == 405, url
