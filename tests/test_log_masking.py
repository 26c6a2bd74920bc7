"""gunicorn and nginx as shipped log no query string and no ID number (issue 23, item 4).

Starts deploy/gunicorn.conf.py's gunicorn and deploy/nginx/newborn-enroll.conf's nginx (only its "test:"
values replaced, as the cluster test does) on loopback ports of CLUSTER_PORTS, sends the requests that
carry ID numbers in their paths and query strings, and reads every log they wrote. The browser session
against the whole cluster is tests/cluster/test_cluster.py's.
"""

import re
import shutil
import subprocess

import pytest

from tests import processes
from tests.cluster.conftest import https_get, nginx_config, self_signed_certificate, site_config
from tests.factories import id_number

ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx]")
RESIDENT = id_number(order="002")
TEMP_ID = RESIDENT + "x"


@pytest.fixture
def served(tmp_path):
    if shutil.which("nginx") is None:
        pytest.fail("nginx is needed (scripts/system-packages.sh --cluster installs it)")
    gunicorn_port, http_port, https_port = processes.free_ports(3)
    environment = {
        **{k: v for k, v in __import__("os").environ.items() if k not in {"DATABASE_URL"}},
        "DATA_DIR": str(tmp_path / "data"),
        "NEWBORN_BIND": f"127.0.0.1:{gunicorn_port}",
        "GUNICORN_WORKERS": "1",
        "TRUSTED_PROXIES": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    gunicorn_log = tmp_path / "gunicorn.log"
    gunicorn = processes.start(
        [str(processes.VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "newborn_enroll.wsgi"],
        log=gunicorn_log,
        env=environment,
    )
    nginx = None
    try:
        processes.wait_for(
            lambda: processes.http_get(f"http://127.0.0.1:{gunicorn_port}/healthz")[0] == 200,
            timeout=90,
            what="gunicorn",
            process=gunicorn,
            log=gunicorn_log,
        )
        self_signed_certificate(tmp_path)
        (tmp_path / "static").mkdir()
        ports = {"a": gunicorn_port, "b": gunicorn_port}
        site = site_config(
            (processes.ROOT / "deploy/nginx/newborn-enroll.conf").read_text(),
            ports=ports,
            https_port=https_port,
            http_port=http_port,
            directory=tmp_path,
        )
        config = tmp_path / "nginx.conf"
        config.write_text(nginx_config(site, ports=ports, directory=tmp_path))
        nginx = processes.start(
            ["nginx", "-p", str(tmp_path), "-c", str(config), "-g", "daemon off;"], log=tmp_path / "nginx.out"
        )
        url = f"https://127.0.0.1:{https_port}"
        processes.wait_for(
            lambda: https_get(url + "/healthz")[0] == 200, timeout=30, what="nginx", process=nginx
        )
        yield url, f"http://127.0.0.1:{gunicorn_port}"
    finally:
        if nginx is not None:
            processes.stop(nginx)
        processes.stop(gunicorn)


def test_no_log_of_gunicorn_or_nginx_holds_an_id_number_or_a_query_string(served, tmp_path):
    nginx, node = served
    paths = [
        f"/api/v1/newborns/{TEMP_ID}/materials",
        f"/api/v1/newborns/{TEMP_ID}",
        f"/api/v1/coverage?code={TEMP_ID}&birth_date=2026-02-26",
        f"/newborns/?identity_number={RESIDENT}",
        f"/no-such-page/{RESIDENT}",
    ]
    for path in paths:
        https_get(nginx + path)
        processes.http_get(node + path)

    logs = {path.name: path.read_text(errors="replace") for path in tmp_path.glob("*.log")}
    assert {"gunicorn.log", "nginx-site-access.log"} <= set(logs)
    for name, text in logs.items():
        assert not ID.findall(text), f"{name} holds an ID number:\n{text}"
        assert "birth_date=" not in text and "identity_number=" not in text, f"{name} holds a query string"
    masked = RESIDENT[:6] + "*****" + TEMP_ID[-5:]
    assert masked in logs["gunicorn.log"]  # the requests were logged, with the number masked
    assert masked in logs["nginx-site-access.log"]


def test_nginx_accepts_the_shipped_site(tmp_path):
    # nginx -t of the very file (with its test values), so a broken map or log_format fails here too.
    self_signed_certificate(tmp_path)
    site = site_config(
        (processes.ROOT / "deploy/nginx/newborn-enroll.conf").read_text(),
        ports={"a": 1, "b": 2},
        https_port=3,
        http_port=4,
        directory=tmp_path,
    )
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(site, ports={"a": 1, "b": 2}, directory=tmp_path))
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
