"""deploy/: `check --deploy` clean with production settings, and the files agree with the settings."""

import configparser
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from registration.models import Material

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def production_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEWBORN_", "AWS_"))
        and key not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        {
            "NEWBORN_ENROLL_PRODUCTION": "1",
            "SECRET_KEY": "k" * 10 + "9f3b2c7e1d4a8b6c0e5f7a2d9c4b1e8f3a6d0c7b2e5f8a1d4c7b0e3f6a9d2c5b8e1",
            "ALLOWED_HOSTS": "enroll.example.internal",
            "CSRF_TRUSTED_ORIGINS": "https://enroll.example.internal",
            "TRUSTED_PROXIES": "127.0.0.1",
            "AUDIT_CHAIN_KEY": "a" * 8 + "0c5e1f9b7d3a2e6f4b8c1d0a9e7f5b3c",
            "DATA_DIR": str(tmp_path),
            "STATIC_ROOT": str(tmp_path / "static"),
        }
    )
    environment.update(extra)
    return environment


def check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    done = check_deploy(production_environment(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_is_clean_with_the_object_store_and_a_multi_host_database(tmp_path):
    done = check_deploy(
        production_environment(
            tmp_path,
            DATABASE_URL="postgres://newborn@db1:5432,db2:5432/newborn?target_session_attrs=read-write",
            NEWBORN_S3_BUCKET="newborn-materials",
            NEWBORN_S3_ENDPOINT_URL="https://minio.example.internal",
            NEWBORN_S3_ADDRESSING_STYLE="path",
        )
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_deploy_catches_an_insecure_setting(tmp_path):
    # The test above can fail: without the proxy's HTTPS header and with HSTS off, check --deploy warns.
    done = check_deploy(production_environment(tmp_path, SECURE_HSTS_SECONDS="0"))
    assert done.returncode != 0
    assert "security.W004" in done.stdout + done.stderr


def test_production_refuses_to_start_without_its_own_audit_chain_key(tmp_path):
    environment = production_environment(tmp_path)
    for key in ("", "short", environment["SECRET_KEY"]):
        done = check_deploy({**environment, "AUDIT_CHAIN_KEY": key})
        assert done.returncode != 0
        assert "AUDIT_CHAIN_KEY must be set" in done.stderr


def nginx_site() -> str:
    return (DEPLOY / "nginx" / "newborn-enroll.conf").read_text()


def test_nginx_accepts_exactly_the_largest_request_the_settings_allow():
    assert len(Material.Kind) == 5  # REQUEST_MAX_BYTES counts five scans
    assert settings.REQUEST_MAX_BYTES == 5 * settings.MATERIAL_MAX_BYTES + 1024 * 1024
    (size,) = re.findall(r"client_max_body_size (\d+)m;", nginx_site())
    assert int(size) == math.ceil(settings.REQUEST_MAX_BYTES / (1024 * 1024))


def test_nginx_site_uses_tls_hides_metrics_and_fails_over():
    site = nginx_site()
    assert re.search(r"listen 443 ssl", site)
    assert "return 301 https://" in site
    assert re.search(r"location = /metrics \{\s*return 404;", site)
    assert "proxy_next_upstream error timeout http_502 http_503;" in site
    assert len(re.findall(r"server 127\.0\.0\.1:\d+ max_fails=\d+ fail_timeout=\d+s;", site)) == 2
    assert "X-Forwarded-Proto $scheme" in site


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


@pytest.mark.parametrize(
    "job", ["void_expired", "clean_staging", "audit_seal", "audit_verify", "send_reminders"]
)
def test_each_job_has_a_service_and_a_timer(job):
    name = "newborn-" + job.replace("_", "-")
    service, timer = unit(name + ".service"), unit(name + ".timer")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].endswith(f"manage.py {job}")
    assert (ROOT / "registration" / "management" / "commands" / f"{job}.py").exists()
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_gunicorn_unit_runs_the_shipped_config_and_waits_for_readiness():
    service = unit("newborn-enroll.service")["Service"]
    assert "gunicorn -c deploy/gunicorn.conf.py newborn_enroll.wsgi" in service["ExecStart"]
    assert (DEPLOY / "gunicorn.conf.py").exists()
    assert "/readyz" in service["ExecStartPost"]
    assert service["Environment"].startswith("PROMETHEUS_MULTIPROC_DIR=")


def test_collectstatic_compresses_with_a_faster_brotli_that_round_trips():
    import brotli

    from newborn_enroll.staticfiles import BROTLI_QUALITY, FasterBrotliCompressor

    data = (ROOT / "cards" / "fonts" / "OFL.txt").read_bytes() * 20
    compressed = FasterBrotliCompressor.compress_brotli(data)
    assert brotli.decompress(compressed) == data
    assert len(compressed) < len(data) // 5
    assert BROTLI_QUALITY < 11  # brotli's default takes close to a minute per card font


def test_a_multi_host_database_url_reaches_libpq_as_host_and_port_lists():
    from django.core.exceptions import ImproperlyConfigured

    from newborn_enroll.settings import database_from_url

    config = database_from_url(
        "postgres://newborn:secret@db1:5433,db2/newborn?target_session_attrs=read-write",
        conn_health_checks=True,
    )
    assert (config["HOST"], config["PORT"]) == ("db1,db2", "5433,5432")
    assert (config["USER"], config["PASSWORD"], config["NAME"]) == ("newborn", "secret", "newborn")
    assert config["OPTIONS"] == {"target_session_attrs": "read-write"}
    assert config["CONN_HEALTH_CHECKS"] is True
    single = database_from_url("postgres://newborn@db1:5433/newborn")
    assert (single["HOST"], single["PORT"]) == ("db1", 5433)
    with pytest.raises(ImproperlyConfigured):
        database_from_url("postgres://newborn@db1:x,db2/newborn")


def database_setting(tmp_path, **extra: str) -> dict:
    """DATABASES['default'] as the settings compute it under these variables (a fresh process)."""
    code = "import json\nimport newborn_enroll.settings as s\n"
    code += "print(json.dumps(s.DATABASES['default'], default=str))"
    environment = production_environment(
        tmp_path, DATABASE_URL="postgres://newborn@pgbouncer.example.internal:6432/newborn", **extra
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_server_side_cursors_can_be_turned_off_for_a_transaction_pool(tmp_path):
    assert database_setting(tmp_path)["DISABLE_SERVER_SIDE_CURSORS"] is False
    pooled = database_setting(tmp_path, DB_DISABLE_SERVER_SIDE_CURSORS="1")
    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert pooled["CONN_MAX_AGE"] == 60 and pooled["CONN_HEALTH_CHECKS"] is True


def test_the_connections_page_counts_what_the_shipped_files_set():
    page = (ROOT / "docs" / "database-connections.md").read_text()
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    workers = int(re.search(r'"GUNICORN_WORKERS", "(\d+)"', gunicorn).group(1))
    assert "worker_class" not in gunicorn  # sync workers: one request, one connection, per worker
    assert f"`GUNICORN_WORKERS={workers}`: **{workers} connections per node**" in page
    timers = sorted(path.stem for path in (DEPLOY / "systemd").glob("*.timer"))
    assert f"nodes × (GUNICORN_WORKERS + {len(timers)} timers)" in page
    assert f"2 × ({workers} + {len(timers)}) + 2 + 3 = {2 * (workers + len(timers)) + 5}" in page
    conn_max_age = re.search(
        r'env_int\("DB_CONN_MAX_AGE", (\d+)\)', (ROOT / "newborn_enroll" / "settings.py").read_text()
    )
    assert f"`DB_CONN_MAX_AGE` ({conn_max_age.group(1)} s)" in page
    # What transaction pooling breaks is what the code does: the jobs' session lock, the exports' cursors.
    assert "pg_try_advisory_lock" in (ROOT / "registration" / "jobs.py").read_text()
    assert "pg_try_advisory_lock" in page and "DB_DISABLE_SERVER_SIDE_CURSORS" in page
    assert "[docs/database-connections.md](docs/database-connections.md)" in (ROOT / "README.md").read_text()
