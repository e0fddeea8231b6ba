"""Command-line tools: `flask users create`, `flask seed demo`, `flask rules run`."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Team, User
from app.models.users import ROLES
from app.services.auth.users import create_user
from app.text import normalise_phone

users_cli = AppGroup("users", help="Manage user accounts.")
seed_cli = AppGroup("seed", help="Load demo or benchmark data.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Full name (defaults to the part of the e-mail before @).")
@click.option("--role", type=click.Choice(ROLES), default="rep", show_default=True)
@click.option("--team", "team_name", default=None, help="Team name; created when it does not exist.")
@click.option("--phone", default=None)
@click.option("--locale", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--password", default=None, help="Omit to be prompted; use --invite for a link instead.")
@click.option("--invite", is_flag=True, help="Print an invitation link instead of setting a password.")
def create_user_command(email, name, role, team_name, phone, locale, password, invite):
    """Create a user account."""
    if User.by_email(email):
        raise click.ClickException(f"a user with e-mail {email} already exists")
    if phone and normalise_phone(phone) is None:
        raise click.ClickException(f"not a Vietnamese phone number: {phone}")
    if not invite and not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if password and len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    team = None
    if team_name:
        team = db.session.scalar(select(Team).where(Team.name == team_name)) or Team(name=team_name)
    user, token = create_user(
        email=email, name=name or email.split("@")[0], role=role, team=team,
        phone=normalise_phone(phone), locale=locale, password=None if invite else password,
    )
    click.echo(f"created {user.role} {user.email} (id {user.id})")
    if token:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        click.echo(f"invitation link: {base}/invite/{token}")


@seed_cli.command("demo")
def seed_demo_command():
    """Load demo data when the database has none (safe to run again)."""
    import time

    from app.seed.demo import DEMO_LOGINS, load_demo

    started = time.perf_counter()
    created = load_demo()
    click.echo(f"demo data loaded in {time.perf_counter() - started:.1f} s" if created
               else "demo data already present: nothing changed")
    click.echo("demo logins (password for all: %s):" % DEMO_LOGINS["password"])
    for email, role in DEMO_LOGINS["users"]:
        click.echo(f"  {role:8} {email}")


@seed_cli.command("bench")
@click.option("--reps", default=50, show_default=True)
@click.option("--customers", default=100_000, show_default=True)
@click.option("--deals", default=50_000, show_default=True)
@click.option("--activities", default=500_000, show_default=True)
@click.option("--quotes", default=20_000, show_default=True)
@click.option("--seed", "seed_value", default=42, show_default=True)
def seed_bench_command(reps, customers, deals, activities, quotes, seed_value):
    """Fill an empty database with deterministic benchmark data."""
    import time

    from app.seed.bench import BENCH_PASSWORD, load_bench

    started = time.perf_counter()
    try:
        load_bench(reps=reps, customers=customers, deals=deals, activities=activities, quotes=quotes, seed=seed_value,
                   echo=click.echo)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"bench data loaded in {time.perf_counter() - started:.1f} s; every user's password: {BENCH_PASSWORD}")


rules_cli = AppGroup("rules", help="The periodic automation rules.")


@rules_cli.command("run")
@click.option("--rule", "only", multiple=True, help="Run only this rule (repeatable); default: every enabled rule.")
def run_rules_command(only):
    """Run one pass of the enabled automation rules now and print what each did and how long it took."""
    import time

    from app.services.automation.registry import RULES, run_all_rules

    unknown = set(only) - set(RULES)
    if unknown:
        raise click.ClickException(f"unknown rule(s): {', '.join(sorted(unknown))}; known: {', '.join(RULES)}")
    started = time.perf_counter()
    outcomes = run_all_rules(only=set(only) or None)
    for outcome in outcomes:
        what = ", ".join(f"{kind} {count}" for kind, count in outcome.counts.items()) or "nothing to do"
        status = f"FAILED: {outcome.error}" if outcome.error else what
        click.echo(f"{outcome.rule:18} {outcome.actions:6} actions  {outcome.seconds:6.2f} s  {status}")
    click.echo(f"pass finished in {time.perf_counter() - started:.2f} s ({len(outcomes)} rules enabled)")
    if any(outcome.error for outcome in outcomes):
        raise SystemExit(1)


def init_app(app):
    """Register the `flask users`, `flask seed` and `flask rules` command groups."""
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(rules_cli)
