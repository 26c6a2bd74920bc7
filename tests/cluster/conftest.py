"""The cluster of `make test-cluster`: moto's S3 server, two gunicorn nodes, nginx in front, one PostgreSQL.

Started once for the session, in this order, each waited for with a bound: moto (and its bucket),
`collectstatic`, node A and node B (gunicorn with deploy/gunicorn.conf.py, production settings, the same
SECRET_KEY and database, their own local directories and metrics directories; each waited for at its own
/readyz), then nginx running deploy/nginx/newborn-enroll.conf with only its "test:" values replaced, waited
for at /readyz through TLS. Stopped in the reverse order at the end, whatever happened.

The database is DATABASE_URL's (the Makefile creates it afresh and migrates it): the nodes use it, and the
tests read and prepare rows in it through the ORM directly (django_db_blocker.unblock), not through a
pytest-django test database. One test-only change to the site: a request header X-Newborn-Node (a or b)
sends a request to that node, so that a test can say "this submit on node A, its retry on node B"; without
it nginx balances round-robin.
"""

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import processes

SITE = processes.ROOT / "deploy" / "nginx" / "newborn-enroll.conf"
GUNICORN_CONF = processes.ROOT / "deploy" / "gunicorn.conf.py"
BUCKET = "newborn-cluster"
NODE_HEADER = "X-Newborn-Node"


@dataclass
class Node:
    name: str
    port: int
    data_dir: Path
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    url: str  # nginx, https
    http_url: str  # nginx's port 80 equivalent (redirects to https)
    nodes: dict[str, Node]
    s3_endpoint: str
    bucket: str
    environment: dict[str, str]
    directory: Path
    nginx: subprocess.Popen | None = None
    extra: dict = field(default_factory=dict)

    def s3_keys(self, prefix: str = "") -> list[str]:
        client = processes.s3_client(self.s3_endpoint)
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def node_environment(base: dict[str, str], node: Node, directory: Path) -> dict[str, str]:
    metrics = directory / f"metrics-{node.name}"
    return {
        **base,
        "DATA_DIR": str(node.data_dir),
        "NEWBORN_BIND": f"127.0.0.1:{node.port}",
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }


def site_config(text: str, *, ports: dict[str, int], https_port: int, http_port: int, directory: Path) -> str:
    """The deploy site with its "test:" values replaced; fails if the file no longer has them."""
    replacements = [
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{ports['a']} "),
        ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{ports['b']} "),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("server_name enroll.example.internal;", "server_name 127.0.0.1;"),
        ("/etc/ssl/newborn-enroll/fullchain.pem", str(directory / "tls" / "cert.pem")),
        ("/etc/ssl/newborn-enroll/privkey.pem", str(directory / "tls" / "key.pem")),
        ("alias /srv/newborn-enroll/static/;", f"alias {directory / 'static'}/;"),
        # The test-only routing by header (module docstring).
        ("proxy_pass http://newborn_nodes;", "proxy_pass http://$newborn_upstream;"),
    ]
    for old, new in replacements:
        count = text.count(old)
        assert count >= 1, f"{SITE} no longer contains {old!r}: update tests/cluster/conftest.py"
        text = text.replace(old, new)
    # 301 to https://$host/… would drop the test's port.
    text = text.replace(
        "return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;"
    )
    return text


def nginx_config(site: str, *, ports: dict[str, int], directory: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = directory / "nginx-temp"
    temp.mkdir(exist_ok=True)
    return f"""{user}worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream node_a {{ server 127.0.0.1:{ports["a"]}; }}
    upstream node_b {{ server 127.0.0.1:{ports["b"]}; }}
    map $http_x_newborn_node $newborn_upstream {{ a node_a; b node_b; default newborn_nodes; }}
{site}
}}
"""


def self_signed_certificate(directory: Path) -> None:
    tls = directory / "tls"
    tls.mkdir()
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip


def base_environment(s3_endpoint: str, https_port: int, directory: Path) -> dict[str, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        pytest.fail("the cluster tests need DATABASE_URL=postgres://…; run them with `make test-cluster`")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("NEWBORN_", "AWS_"))
    }
    environment.update(processes.s3_environment(s3_endpoint, BUCKET))
    environment.update(
        {
            "DATABASE_URL": database_url,
            "NEWBORN_ENROLL_PRODUCTION": "1",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),  # one key for both nodes: their sessions are one
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{https_port}",
            "BEHIND_PROXY": "1",
            "STATIC_ROOT": str(directory / "static"),
            "METRICS_ALLOWED_IPS": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return environment


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Cluster:
    directory = tmp_path_factory.mktemp("cluster")
    with processes.moto_s3(directory) as s3_endpoint:
        processes.s3_client(s3_endpoint).create_bucket(Bucket=BUCKET)
        ports = processes.free_ports(4)
        node_ports = {"a": ports[0], "b": ports[1]}
        http_port, https_port = ports[2], ports[3]
        environment = base_environment(s3_endpoint, https_port, directory)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=processes.ROOT,
            env=environment,
            check=True,
            timeout=300,
        )
        nodes = {name: Node(name, port, directory / f"node-{name}") for name, port in node_ports.items()}
        try:
            for node in nodes.values():
                node.data_dir.mkdir()
                node.log = directory / f"node-{node.name}.log"
                node.process = processes.start(
                    [str(processes.VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "newborn_enroll.wsgi"],
                    log=node.log,
                    env=node_environment(environment, node, directory),
                )
            for node in nodes.values():
                processes.wait_for(
                    lambda node=node: processes.http_get(node.url + "/readyz", timeout=30)[0] == 200,
                    timeout=180,
                    what=f"node {node.name} /readyz",
                    process=node.process,
                    log=node.log,
                )
            self_signed_certificate(directory)
            config = directory / "nginx.conf"
            site = site_config(
                SITE.read_text(),
                ports=node_ports,
                https_port=https_port,
                http_port=http_port,
                directory=directory,
            )
            config.write_text(nginx_config(site, ports=node_ports, directory=directory))
            check = subprocess.run(
                ["nginx", "-t", "-p", str(directory), "-c", str(config)], capture_output=True, text=True
            )
            assert check.returncode == 0, check.stderr
            nginx_log = directory / "nginx-stdout.log"
            nginx = processes.start(
                ["nginx", "-p", str(directory), "-c", str(config), "-g", "daemon off;"], log=nginx_log
            )
            url = f"https://127.0.0.1:{https_port}"
            try:
                processes.wait_for(
                    lambda: https_status(url + "/readyz") == 200,
                    timeout=60,
                    what="nginx",
                    process=nginx,
                    log=directory / "nginx-error.log",
                )
                yield Cluster(
                    url=url,
                    http_url=f"http://127.0.0.1:{http_port}",
                    nodes=nodes,
                    s3_endpoint=s3_endpoint,
                    bucket=BUCKET,
                    environment=environment,
                    directory=directory,
                    nginx=nginx,
                )
            finally:
                processes.stop(nginx)
        finally:
            for node in nodes.values():
                if node.process is not None:
                    processes.stop(node.process, timeout=30)


def https_get(url: str, *, headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes, dict]:
    """A request through nginx's TLS with the test's self-signed certificate (not verified)."""
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def https_status(url: str) -> int:
    return https_get(url)[0]


@pytest.fixture
def orm(django_db_blocker):
    """The ORM on the cluster's own database (the one the nodes use), for preparing and checking rows."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def people(cluster, django_db_blocker):
    """A clerk of a Nanning hospital and an administrator, with the divisions and agency to register."""
    from django.contrib.auth.hashers import make_password

    from tests import factories

    with django_db_blocker.unblock():
        factories.division_chain()
        factories.agency_make()
        clerk = factories.operator_make().user
        admin = factories.user_make("admin", is_staff=True)
        lockout = factories.operator_make(
            username="clerk-lockout",
            hospital=clerk.operator.hospital,
            id_number=factories.id_number(born="19860101", order="035"),
        ).user
        # The nodes check passwords with the production hashers, not the suite's fast one.
        for user in (clerk, admin, lockout):
            user.password = make_password(factories.PASSWORD, hasher="pbkdf2_sha256")
            user.save(update_fields=["password"])
    return {"clerk": clerk, "admin": admin, "lockout": lockout}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"the cluster tests need Debian's Chromium at {CHROMIUM}; `make test-cluster` installs it"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, cluster):
    from tests.e2e.conftest import TIMEOUT_MS

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = browser.new_context(
        base_url=cluster.url,
        ignore_https_errors=True,
        viewport={"width": 1366, "height": 768},
        locale="zh-CN",
    )
    context.set_default_timeout(TIMEOUT_MS * 2)
    yield context
    context.close()


def on_node(context, name: str) -> None:
    """Every request of the context from now on goes to node `name` through nginx."""
    context.set_extra_http_headers({NODE_HEADER: name})


def served_by(response, cluster: Cluster) -> str:
    upstream = response.headers.get("x-upstream", "")
    for name, node in cluster.nodes.items():
        if upstream.endswith(f":{node.port}"):
            return name
    raise AssertionError(f"X-Upstream {upstream!r} names no node of the cluster")


def login(page, username: str, password: str):
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
