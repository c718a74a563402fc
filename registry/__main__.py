"""`python -m registry <command>`: Django's manage.py for the registry (migrate, createsuperuser, the
registry's own commands such as create_organisation, create_enrollment_code, revoke_station, log_key)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"{sys.executable} -m registry", *sys.argv[1:]])


if __name__ == "__main__":
    main()
