from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registration.models import Hospital
from registration.services.api_clients import SCOPES, api_client_create, scopes_parse


class Command(BaseCommand):
    help = (
        "Create an API client and print its key (shown once; the last line ends with it). Without --hospital "
        "the client is the 医保中心's (for payments:write, coverage:read)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hospital", help="the hospital's code (机构编码); none for the 医保中心's client"
        )
        parser.add_argument("--name", required=True, help="what the client is, e.g. 第一人民医院HIS")
        parser.add_argument("--scopes", required=True, help=f"comma-separated, of: {','.join(SCOPES)}")

    def handle(self, *args, hospital, name, scopes, **options):
        found = None
        if hospital:
            found = Hospital.objects.filter(code=hospital.strip()).first()
            if found is None:
                raise CommandError(f"no hospital with the code {hospital!r}")
        try:
            client, key = api_client_create(name=name, hospital=found, scopes=scopes_parse(scopes))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        where = found.name if found else "医保中心"
        self.stdout.write(
            f"API client {client.pk} ({client.name}, {where}), scopes {','.join(client.scopes)}."
        )
        self.stdout.write("The key is shown this once; store it now. Key: " + key)
