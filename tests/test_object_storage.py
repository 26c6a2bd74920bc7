"""Object storage as a setting: NEWBORN_S3_* switch every kept file to an S3-compatible store.

Against moto's S3 server, started on a loopback port for this module: a registration with scans puts
them in the bucket as private objects, the authorising view streams them back, nothing is public.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile

from registration.models import Material
from tests import factories, processes
from tests.registration.views.test_register import URL, form_data, png_bytes

BUCKET = "newborn-materials"
# The botocore client settings the app sets (settings.py, client_config), as the subprocess prints them.
CONFIG_FIELDS = ("s3", "signature_version", "connect_timeout", "read_timeout", "retries")


def settings_storages(extra_env: dict[str, str]) -> dict:
    """STORAGES as newborn_enroll/settings.py computes it under these variables (a fresh process)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWBORN_S3_")}
    env.update(extra_env)
    code = (
        "import json\nimport newborn_enroll.settings as s\n"
        "config = lambda c: {key: getattr(c, key) for key in CONFIG_FIELDS}\n"
        "print(json.dumps(s.STORAGES['default'], default=config))"
    ).replace("CONFIG_FIELDS", repr(CONFIG_FIELDS))
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def storage_setting(printed: dict) -> dict:
    """STORAGES['default'] as settings_storages printed it, its client_config a botocore Config again."""
    from botocore.config import Config

    options = dict(printed["OPTIONS"])
    options["client_config"] = Config(**options["client_config"])
    return {**printed, "OPTIONS": options}


def test_without_the_variables_files_stay_on_the_filesystem():
    assert settings_storages({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_the_variables_select_private_s3_objects():
    storage = settings_storages(processes.s3_environment("http://127.0.0.1:9", BUCKET))
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == BUCKET
    assert options["endpoint_url"] == "http://127.0.0.1:9"
    assert options["addressing_style"] == "path"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["custom_domain"] is None
    assert options["file_overwrite"] is False
    # Given a client_config, django-storages reads the addressing style and the signature from it alone.
    config = options["client_config"]
    assert config["s3"] == {"addressing_style": "path"} and config["signature_version"] == "s3v4"
    # botocore's defaults (60 s, 60 s, retries) would let a hung store hold a worker for minutes.
    assert (config["connect_timeout"], config["read_timeout"]) == (3, 5)
    assert config["retries"] == {"max_attempts": 2, "mode": "standard"}


def test_the_clients_timeouts_and_attempts_are_settings():
    environment = {
        **processes.s3_environment("http://127.0.0.1:9", BUCKET),
        "NEWBORN_S3_CONNECT_TIMEOUT": "2",
        "NEWBORN_S3_READ_TIMEOUT": "7",
        "NEWBORN_S3_MAX_ATTEMPTS": "1",
    }
    config = settings_storages(environment)["OPTIONS"]["client_config"]
    assert (config["connect_timeout"], config["read_timeout"]) == (2, 7)
    assert config["retries"] == {"max_attempts": 1, "mode": "standard"}


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with processes.moto_s3(tmp_path_factory.mktemp("moto")) as endpoint:
        client = processes.s3_client(endpoint)
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client


@pytest.fixture
def s3_storage(s3, settings, monkeypatch):
    endpoint, client = s3
    environment = processes.s3_environment(endpoint, BUCKET)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": storage_setting(settings_storages(environment))}
    yield client
    for listed in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=listed["Key"])


def keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.mark.django_db
def test_a_registrations_scans_go_to_the_bucket_private_and_come_back_through_the_view(
    client, clerk, s3_storage, tmp_path
):
    from storages.backends.s3 import S3Storage

    assert type(storages["default"]) is S3Storage
    client.force_login(clerk)
    head, parent_page = png_bytes("white"), png_bytes("black")
    data = form_data()
    data["material_household_head"] = SimpleUploadedFile("户主页.png", head, "image/png")
    data["material_household_parent"] = SimpleUploadedFile("母亲页.png", parent_page, "image/png")

    response = client.post(URL, data)

    assert response.status_code == 302
    materials = {material.kind: material for material in Material.objects.all()}
    stored = keys(s3_storage)
    assert sorted(material.file.name for material in materials.values()) == stored
    assert len(stored) == 2
    # Nothing went to the local disk.
    assert not list(tmp_path.rglob("*.png"))
    for key in stored:
        body = s3_storage.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body in (head, parent_page)
        grants = s3_storage.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
        assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers, no AuthenticatedUsers

    material = materials["household_head"]
    newborn = material.birth.newborns.get()
    download = client.get(f"/newborns/{newborn.pk}/materials/{material.pk}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == head

    # The object's plain address answers no one: a private object, not a public URL.
    endpoint = s3_storage.meta.endpoint_url
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{endpoint}/{BUCKET}/{material.file.name}", timeout=5)
    assert refused.value.code == 403
    # A URL from the storage is signed and expires; the app itself never hands one out.
    assert "X-Amz-Signature=" in default_storage.url(material.file.name)


@pytest.mark.django_db
def test_readyz_probes_the_bucket(client, s3_storage):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert "storage ok" in response.content.decode()
    assert keys(s3_storage) == []  # the probe object is gone again


@pytest.mark.django_db
def test_readyz_is_503_when_the_bucket_is_missing(client, s3_storage, settings):
    storages = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**storages, "OPTIONS": {**storages["OPTIONS"], "bucket_name": "no-such-bucket"}},
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "storage fail" in response.content.decode()


# --- a store that fails -------------------------------------------------------------------------


class Store:
    """moto of one test's own, stopped and started again on its port: the store goes down and comes back."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.port = processes.free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._running = contextlib.ExitStack()

    def up(self):
        self._running.enter_context(processes.moto_s3(self.log_dir, port=self.port))
        self.client = processes.s3_client(self.endpoint)
        self.client.create_bucket(Bucket=BUCKET)  # moto keeps nothing across a restart

    def down(self):
        self._running.close()

    def objects(self) -> dict[str, bytes]:
        return {
            key: self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys(self.client)
        }


@pytest.fixture
def store(tmp_path, settings, monkeypatch):
    store = Store(tmp_path)
    environment = {**processes.s3_environment(store.endpoint, BUCKET), "NEWBORN_S3_CONNECT_TIMEOUT": "1"}
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": storage_setting(settings_storages(environment))}
    store.up()
    yield store
    store.down()


def registration_with_scans() -> dict:
    data = form_data()
    del data["materials_deferred"]
    for kind, color in (("household_head", "white"), ("household_parent", "gray"), ("birth_record", "black")):
        data[f"material_{kind}"] = SimpleUploadedFile(f"{kind}.png", png_bytes(color), "image/png")
    return data


@pytest.fixture
def material_api(clerk):
    from rest_framework.test import APIClient

    from registration.services.api_clients import api_client_create

    _, key = api_client_create(name="一院HIS", hospital=clerk.operator.hospital, scopes=["births:write"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def material_upload(api, temp_id: str):
    upload = SimpleUploadedFile("出生记录.png", png_bytes("gray"), "image/png")
    return api.post(
        f"/api/v1/newborns/{temp_id}/materials", {"kind": "birth_record", "file": upload}, format="multipart"
    )


@pytest.mark.django_db
def test_a_store_that_is_down_refuses_the_scans_only_and_the_app_recovers_by_itself(
    client, clerk, store, material_api
):
    from registration.models import Birth, KeptUpload

    client.force_login(clerk)
    saved = client.post(URL, registration_with_scans())
    assert saved.status_code == 302
    newborn = Birth.objects.get().newborns.get()
    material = Material.objects.get(kind="household_head")
    kept = store.objects()
    assert len(kept) == 3

    store.down()

    # The page: every field back, the reason in Chinese and the way out (材料暂缺); nothing half-written.
    data = registration_with_scans()
    data.update(
        mother_id_number="450103199205060023", mother_name="黄小红", household_address="广西南宁市新竹路8号"
    )
    data["confirmed_warnings"] = "possible_duplicate"  # the same father as the first registration
    started = time.monotonic()
    refused = client.post(URL, data)
    assert time.monotonic() - started < 10
    assert refused.status_code == 503
    html = refused.content.decode()
    assert "扫描件暂时无法保存" in html and "文件存储服务暂时不可用" in html
    assert "材料暂缺，稍后在登记记录页补传" in html
    for field in ("mother_name", "mother_id_number", "mother_phone", "father_name", "household_address"):
        assert f'value="{data[field]}"' in html, field
    assert Birth.objects.count() == 1 and Material.objects.count() == 3 and KeptUpload.objects.count() == 0

    # 材料暂缺 saves the registration now, without the store.
    deferred = {key: value for key, value in data.items() if not key.startswith("material_")}
    deferred["materials_deferred"] = "on"
    assert client.post(URL, deferred).status_code == 302
    assert Birth.objects.count() == 2

    # The API: 503 in its JSON shape, with Retry-After; nothing added.
    answer = material_upload(material_api, newborn.temp_id)
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    assert answer.json() == {"detail": "文件存储服务暂时不可用，材料未保存，请稍后重试（见 Retry-After）。"}
    assert Material.objects.count() == 3

    # The record page's 补传材料: the same, in Chinese.
    added = client.post(
        f"/newborns/{newborn.pk}/materials/add",
        {"kind": "birth_record", "file": SimpleUploadedFile("b.png", png_bytes(), "image/png")},
    )
    assert added.status_code == 503
    assert "文件存储服务暂时不可用" in added.content.decode()

    # A stored scan: unavailable for now, in Chinese; not a 500, not a 404.
    opened = client.get(f"/newborns/{newborn.pk}/materials/{material.pk}")
    assert opened.status_code == 503
    assert "文件暂时无法打开" in opened.content.decode()
    assert opened["Retry-After"] == "30"

    # The node is not ready, yet the cards still print.
    assert client.get("/readyz").status_code == 503
    card = client.get(f"/cards/{newborn.pk}/card.pdf")
    assert card.status_code == 200 and card["Content-Type"] == "application/pdf"

    # The store comes back (moto keeps nothing: the objects are put back), and so does everything.
    store.up()
    for key, body in kept.items():
        store.client.put_object(Bucket=BUCKET, Key=key, Body=body)
    assert client.get("/readyz").status_code == 200
    opened = client.get(f"/newborns/{newborn.pk}/materials/{material.pk}")
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == kept[material.file.name]
    assert material_upload(material_api, newborn.temp_id).status_code == 201
    again = {
        **registration_with_scans(),
        "confirmed_warnings": "possible_duplicate",
    }  # the first family again, the duplicate confirmed
    assert client.post(URL, again).status_code == 302
    assert Material.objects.count() == 3 + 1 + 3


class HungStore:
    """A TCP server that accepts every connection and never answers: moto under kill -STOP, say."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))  # a free port of the system's choice
        self.server.listen(64)
        self.endpoint = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.accepted.append(connection)  # held open, never read from, never answered

    def close(self):
        self.server.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def hung_store(settings, monkeypatch):
    store = HungStore()

    def use(**timeouts):
        environment = {**processes.s3_environment(store.endpoint, BUCKET), **timeouts}
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        settings.STORAGES = {**settings.STORAGES, "default": storage_setting(settings_storages(environment))}

    yield use
    store.close()


@pytest.mark.django_db
def test_a_hung_store_costs_one_bounded_error_per_request(client, clerk, hung_store, material_api):
    from registration.models import Birth

    hung_store(NEWBORN_S3_CONNECT_TIMEOUT="1", NEWBORN_S3_READ_TIMEOUT="1", NEWBORN_S3_MAX_ATTEMPTS="1")
    client.force_login(clerk)
    newborn = factories.register(clerk).newborns.get()

    started = time.monotonic()
    refused = client.post(URL, {**registration_with_scans(), "confirmed_warnings": "possible_duplicate"})
    assert time.monotonic() - started < 8  # one read timeout; the other scans are not sent after it
    assert refused.status_code == 503
    assert "扫描件暂时无法保存" in refused.content.decode()
    assert Birth.objects.count() == 1

    started = time.monotonic()
    answer = material_upload(material_api, newborn.temp_id)
    assert time.monotonic() - started < 8
    assert answer.status_code == 503 and answer["Retry-After"] == "30"


@pytest.mark.django_db
def test_readyz_answers_within_its_own_bound_when_the_store_hangs(client, hung_store, settings):
    # The client's read timeout far above /readyz's bound: the probe is cut off by its own.
    hung_store(NEWBORN_S3_CONNECT_TIMEOUT="1", NEWBORN_S3_READ_TIMEOUT="60", NEWBORN_S3_MAX_ATTEMPTS="1")
    settings.READYZ_STORAGE_TIMEOUT = 2
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "storage fail TimeoutError" in response.content.decode()
    assert 2 <= elapsed < 5


@pytest.mark.django_db
def test_a_payment_list_waits_in_the_store_that_is_down_and_is_there_again_when_it_is_back(client, store):
    admin = factories.user_make("admin", is_staff=True)
    client.force_login(admin)
    header = "新生儿编码,出生医学证明编号,个人编号,到账日期,缴费年度,缴费凭证号\r\n"
    payment_list = (header + "450103199003070020X,,,2026-02-10,2026,R1\r\n").encode()

    def upload():
        return client.post(
            "/payments/import/", {"file": SimpleUploadedFile("名单.csv", payment_list, "text/csv")}
        )

    kept = upload()
    assert kept.status_code == 302
    preview = kept["Location"]
    kept_objects = store.objects()

    store.down()
    refused = upload()
    assert refused.status_code == 503
    assert "文件存储服务暂时不可用，名单未保存" in refused.content.decode()
    waiting = client.get(preview)
    assert waiting.status_code == 503 and waiting["Retry-After"] == "30"
    assert "缴费名单文件暂时无法读取" in waiting.content.decode()

    store.up()
    for key, body in kept_objects.items():
        store.client.put_object(Bucket=BUCKET, Key=key, Body=body)
    assert client.get(preview).status_code == 200
