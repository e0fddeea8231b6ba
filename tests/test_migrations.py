"""The schema is built by Alembic migrations, which go up, down and up again and match the models."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db


@pytest.fixture()
def scratch_url(tmp_path):
    """An empty database of the same kind as the suite's, removed afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path}/migrations.sqlite3"
        return
    name = f"fieldcrm_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_downgrade_upgrade_from_empty(scratch_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "teams", "customers", "contacts", "stages", "deals", "deal_stage_changes",
                "activities", "products", "audit_events", "invitations", "tags", "customer_tags"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": _outside_models})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def _outside_models(obj, name, type_, reflected, compare_to):
    from app.models.customers import SEARCH_INDEX_OBJECTS

    return not (name and name.startswith(SEARCH_INDEX_OBJECTS))


def test_the_app_never_creates_tables_itself():
    sources = []
    for root, _dirs, files in os.walk("app"):
        sources += [open(os.path.join(root, f), encoding="utf-8").read() for f in files if f.endswith(".py")]
    assert not any("create_all(" in source for source in sources)


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_a_fresh_install_has_the_default_pipeline_stages(scratch_url):
    from app.models import Stage

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade()
        stages = db.session.scalars(db.select(Stage).order_by(Stage.position)).all()
        assert [(s.name_vi, s.probability) for s in stages] == [
            ("Mới", 10), ("Đang tư vấn", 25), ("Đã gửi báo giá", 50), ("Đàm phán", 75), ("Thắng", 100), ("Thua", 0)]
        assert [s.key for s in stages if s.is_won] == ["won"] and [s.key for s in stages if s.is_lost] == ["lost"]
        db.session.remove()
        db.engine.dispose()


PROBE_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "9999probe"
down_revision = "{head}"
branch_labels = None
depends_on = None


def _recreate():
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade():
    with op.batch_alter_table("deals", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("probe", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("deals", recreate=_recreate()) as batch:
        batch.drop_column("probe")
"""


def test_a_table_rebuild_keeps_the_rows_that_point_at_it(tmp_path, scratch_url):
    """Altering `deals` (a table rebuild on SQLite) through our env.py loses no stage history."""
    import shutil

    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    from app.seed.demo import load_demo

    migrations = tmp_path / "migrations"
    shutil.copytree("migrations", migrations)
    head = ScriptDirectory(str(migrations)).get_current_head()
    (migrations / "versions" / "9999_probe.py").write_text(PROBE_REVISION.format(head=head))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade(directory=str(migrations), revision=head)
        load_demo()
        count = "SELECT COUNT(*) FROM deal_stage_changes"
        before = db.session.execute(text(count)).scalar()
        db.session.remove()
        upgrade(directory=str(migrations))
        downgrade(directory=str(migrations), revision=head)
        assert before > 0 and db.session.execute(text(count)).scalar() == before
        db.session.remove()
        db.engine.dispose()


def test_workers_starting_together_share_one_secret_key(tmp_path, monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    from app.config import load_or_create_secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    for attempt in range(5):
        folder = str(tmp_path / f"instance{attempt}")
        with ProcessPoolExecutor(max_workers=4) as pool:
            keys = list(pool.map(load_or_create_secret_key, [folder] * 8))
        assert len(set(keys)) == 1 and len(keys[0]) == 64
