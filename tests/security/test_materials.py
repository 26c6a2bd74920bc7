"""A material is served as an attachment-like download, never sniffed (the scans themselves are cleaned by
services/materials.py: tests/registration/services/test_materials.py)."""

from registration.services.birth_materials import MaterialInput
from tests import factories
from tests.registration.services.conftest import jpeg_with_gps


def test_it_serves_a_material_as_an_attachment_like_download_with_nosniff(client, clerk):
    birth = factories.register(
        clerk, materials=[MaterialInput("household_head", jpeg_with_gps(), "户主页.jpg")]
    )
    newborn, material = birth.newborns.get(), birth.materials.get()
    client.force_login(clerk)

    response = client.get(f"/newborns/{newborn.pk}/materials/{material.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="material-{material.pk}.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"Exif" not in b"".join(response.streaming_content)
