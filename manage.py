#!/usr/bin/env python
"""Django's command-line entry point for Xiaobao."""

import os
import sys

# Commands that only read the code (never a key, never personal data) run anywhere, so a
# checkout can make migrations and compile catalogues without production secrets.
CODE_ONLY_COMMANDS = {"makemigrations", "compile_translations", "makemessages", "help"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaobao.settings")
    if len(sys.argv) < 2 or sys.argv[1] in CODE_ONLY_COMMANDS:
        os.environ.setdefault("XIAOBAO_ALLOW_INSECURE_KEY", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
