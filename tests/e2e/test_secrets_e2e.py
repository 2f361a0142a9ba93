"""No secret in any log line, command output or error message: the pipeline with a password-protected
Redis (its URL read from a file, as Docker secrets provide it) and a PostgreSQL role with a password."""

from __future__ import annotations

import os
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from shared.claims import WorkFolder
from shared.config import Settings
from tests import seed_variants
from tests.cli_helpers import klantprofielen
from tests.conftest import POSTGRES_DSN, wait_for
from tests.e2e.processes import Services, service_env
from tests.faults.harness import PrivateRedis, free_port

# '/' and '@' must be percent-encoded in a URL: both spellings must stay hidden.
REDIS_PASSWORD = f"redis-{uuid.uuid4().hex[:12]}/@x"
PG_PASSWORD = f"pg-{uuid.uuid4().hex[:12]}"


def quote(password: str) -> str:
    return urllib.parse.quote(password, safe="")


@pytest.fixture
def pg_role_url() -> Iterator[str]:
    """A login role with a password and a schema it owns. (The test server trusts 127.0.0.1, so any
    password would do: the point is that this one never shows.)"""
    name = f"kp_role_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{PG_PASSWORD}'")
        conn.execute(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    yield f"postgresql+psycopg://{name}:{PG_PASSWORD}@127.0.0.1:5432/test?options=-csearch_path%3D{name}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")
        conn.execute(f"DROP ROLE {name}")


def test_no_password_in_any_log_line_or_output(tmp_path: Path, pg_role_url: str) -> None:
    redis_server = PrivateRedis(tmp_path / "redis", password=REDIS_PASSWORD)
    redis_server.start()
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "broker_url").write_text(redis_server.url + "\n")
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    env = service_env(inbox=str(inbox), data_dir=str(data), database_url=pg_role_url,
                      broker_url_file=str(secrets_dir / "broker_url"), settle_seconds="0.3", rescan_seconds="1")
    ops_env = {key: value for key, value in env.items() if key.startswith("KLANTPROFIELEN_")}
    outputs: dict[str, str] = {}

    def command(*args: str, env: dict[str, str] | None = None) -> int:
        result = klantprofielen(*args, env=env if env is not None else ops_env)
        outputs[" ".join(args) + f" #{len(outputs)}"] = result.stdout + result.stderr
        return result.returncode

    running = Services(env=env, logs_dir=tmp_path)
    try:
        assert command("db", "upgrade") == 0
        running.start("worker", "--concurrency", "1", ready_event="ready.")
        running.start("watch", ready_event="watcher_started")
        (inbox / "ml.txt").write_bytes(seed_variants.midden_limburg())
        (inbox / "broken.txt").write_bytes(seed_variants.broken_column_total())
        (inbox / "garbage.dat").write_bytes(os.urandom(500) + b"\x00")
        wait_for(lambda: not [p for p in inbox.iterdir() if not p.name.startswith(".")]
                 and not WorkFolder.of_inbox(inbox).list_claims(), timeout=30, message="every file to end")
        wait_for(lambda: sum(line.count("file_quarantined") + line.count("report_stored")
                             for line in running.running[0].log_path.read_text().splitlines()) >= 3,
                 timeout=10, message="three outcomes logged")
        for args in (("reports",), ("reports", "--json"), ("alerts",), ("status",), ("status", "--json"),
                     ("health",), ("health", "--component", "worker", "--deep")):
            assert command(*args) in (0, 1)
        assert "Midden-Limburg" in outputs["reports #1"]
        # Failures that quote their URL: a refused broker, an unreachable database, a wrong password.
        unreachable = pg_role_url.replace(":5432/", f":{free_port()}/")
        wrong_password = redis_server.url.replace(quote(REDIS_PASSWORD), quote(REDIS_PASSWORD)[::-1])
        assert command("reports", env={**ops_env, "KLANTPROFIELEN_DATABASE_URL": unreachable}) == 1
        assert command("status", env={**ops_env, "KLANTPROFIELEN_DATABASE_URL": unreachable,
                                      "KLANTPROFIELEN_BROKER_URL": wrong_password}) == 1
        assert command("worker", env={**ops_env, "KLANTPROFIELEN_DATABASE_URL": unreachable}) == 1
        # URLs too broken to parse: no scheme, a port that is not a number (drivers quote those).
        for broken in (f"kp:{PG_PASSWORD}@127.0.0.1/test", f"postgresql+psycopg://kp:{PG_PASSWORD}@127.0.0.1:x/test"):
            for args in (("health", "--component", "database"), ("reports",), ("db", "upgrade")):
                assert command(*args, env={**ops_env, "KLANTPROFIELEN_DATABASE_URL": broken}) == 1
    finally:
        running.stop_all()
        redis_server.stop()

    logs = {service.log_path.name: service.log_path.read_text() for service in running.running}
    assert any("report_stored" in text for text in logs.values())
    assert Settings(broker_url_file=secrets_dir / "broker_url").broker_url == redis_server.url
    for secret in (REDIS_PASSWORD, quote(REDIS_PASSWORD), PG_PASSWORD):
        for name, text in {**logs, **outputs}.items():
            assert secret not in text, f"{name} shows a password:\n{text[-3000:]}"
    for name, text in outputs.items():
        assert "Traceback" not in text, f"{name}:\n{text}"
