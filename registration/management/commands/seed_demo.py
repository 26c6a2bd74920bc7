from django.core.management.base import BaseCommand, CommandError

from registration.demo import ADMIN_LOGIN, HOSPITALS, STAFF_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create deterministic demo data: agencies, two hospitals, their staff and N registrations."

    def add_arguments(self, parser):
        parser.add_argument("--registrations", type=int, default=40, help="births to register (default 40)")
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="where the demo is served, printed with the logins (make demo passes its HOST and PORT)",
        )

    def handle(self, *args, registrations, url, **options):
        if not 0 <= registrations <= 5000:
            raise CommandError("--registrations must be between 0 and 5000")
        result = demo_seed(registrations=registrations)
        if result["births_created"]:
            self.stdout.write(f"Registered {result['births_created']} demo births.")
        else:
            self.stdout.write("Demo registrations already exist; none added.")
        states = ", ".join(f"{state}: {count}" for state, count in result["newborns_by_state"].items())
        self.stdout.write(f"Demo newborns by state: {states}")
        self.stdout.write(f"\nDemo logins ({url}):")
        self.stdout.write(f"  administrator  {ADMIN_LOGIN[0]:<10} {ADMIN_LOGIN[1]}   (Django admin: /admin/)")
        for hospital in HOSPITALS:
            for username, role, real_name in hospital.staff:
                self.stdout.write(
                    f"  {role.label:<6} {username:<10} {STAFF_PASSWORD}   {hospital.name} {real_name}"
                )
