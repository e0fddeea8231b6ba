"""FieldCRM: the application factory."""
import os

from flask import Flask, request, session
from werkzeug.routing import IntegerConverter
from flask_login import current_user

from app import access, formatting, htmx, labels
from app.config import defaults, load_or_create_secret_key
from app.forms import BoundedArgs
from app.text import INT_MAX
from app.extensions import babel, compress, csrf, db, limiter, login_manager, migrate


def create_app(test_config=None):
    """Create and configure an instance of FieldCRM."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_X_FOR"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from app.sessions import AppSessionInterface

    app.session_interface = AppSessionInterface()
    _init_extensions(app)
    app.request_class = bounded_request_class(app.request_class)  # after htmx_flask set its own
    app.url_map.converters["int"] = BoundedIntConverter
    _register_blueprints(app)
    app.before_request(access.enforce_access_policy)

    from app.security import set_security_headers, static_url

    app.after_request(set_security_headers)
    app.jinja_env.globals["static_url"] = static_url
    from app import shell, static_files

    static_files.init_app(app)
    shell.init_app(app)
    app.context_processor(_template_context)

    from app import cli

    cli.init_app(app)
    return app


class BoundedIntConverter(IntegerConverter):
    """<int:…> ids beyond an id column (PostgreSQL INTEGER) are simply not found, not a driver overflow (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def bounded_request_class(base):
    """The request class whose args and form refuse integers no database column can hold (app.forms.BoundedArgs)."""
    return type("AppRequest", (base,), {"parameter_storage_class": BoundedArgs})


def select_locale():
    """The signed-in user's language, else the visitor's choice, else Vietnamese."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _template_context():
    from flask_babel import get_locale

    locale = get_locale()
    return {"current_locale": locale.language if locale else "vi", "company_name": _company_name()}


def _company_name():
    from flask import current_app

    return current_app.config["COMPANY_NAME"]


def select_timezone():
    """The signed-in user's time zone; None means the default (Asia/Ho_Chi_Minh)."""
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def _init_extensions(app):
    from app import jobs, models  # noqa: F401  (models: every table in the metadata; jobs: the names enqueue() knows)
    from app.services.auth import rate_limit_storage  # noqa: F401  (registers Flask-Limiter's "database://" storage)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    compress.init_app(app)
    jobs.init_app(app)
    htmx.init_app(app)
    formatting.init_app(app)
    labels.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # "basic", not "strong": a rep's phone changes IP between cell towers all day.
    login_manager.session_protection = "basic"

    from app.blueprints.auth.session import load_user, unauthorized

    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def _register_blueprints(app):
    from app.blueprints import (activities, admin, auth, automation, calendar_feed, customer_tools, customers, deals,
                                delivery, errors, field, main, more, notifications, pipeline, products, public, quotes)

    for module in (errors, auth, main, pipeline, deals, customers, activities, customer_tools, quotes, more, admin, products,
                   delivery, public, notifications, calendar_feed, automation, field):
        app.register_blueprint(module.bp)
    if app.config["BENCH_MODE"]:
        from app.blueprints import bench

        app.register_blueprint(bench.bp)
        bench.init_timing(app)
