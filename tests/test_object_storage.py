"""Object storage as a setting: NEWBORN_S3_* switch every kept file to an S3-compatible store.

Against moto's S3 server, started on a loopback port for this module: a registration with scans puts
them in the bucket as private objects, the authorising view streams them back, nothing is public.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile

from registration.models import Material
from tests import processes
from tests.registration.views.test_register import URL, form_data, png_bytes

BUCKET = "newborn-materials"


def settings_storages(extra_env: dict[str, str]) -> dict:
    """STORAGES as newborn_enroll/settings.py computes it under these variables (a fresh process)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWBORN_S3_")}
    env.update(extra_env)
    code = "import json\nimport newborn_enroll.settings as s\nprint(json.dumps(s.STORAGES['default']))"
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
    settings.STORAGES = {**settings.STORAGES, "default": settings_storages(environment)}
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
