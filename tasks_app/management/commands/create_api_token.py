"""``manage.py create_api_token NAME --namespace PATTERN [...]``: a scoped API token; its key is
printed alone on the last line (the only time it is shown)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks_app.exceptions import JobError
from tasks_app.services import tenancy


class Command(BaseCommand):
    help = "Create an API token scoped to namespace patterns; prints its key on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--namespace", action="append", required=True, help="a shell-style pattern; repeat for more")
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument("--rate", default="", help="requests allowed, e.g. 120/min (default API_THROTTLE_RATE)")
        parser.add_argument("--max-jobs", type=int, default=None, help="jobs it may hold in its namespaces")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client, key = tenancy.create_api_client(
                name=options["name"], namespaces=options["namespace"], read_only=options["read_only"],
                rate=options["rate"], max_jobs=options["max_jobs"],
            )  # fmt: skip
        except JobError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"API token {client.name!r} for {', '.join(client.namespaces)} (shown once, keep it):")
        self.stdout.write(key)
