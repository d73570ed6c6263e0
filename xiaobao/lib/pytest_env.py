"""pytest plugin loaded before the settings (`-p` in pyproject): tests are development.

The settings refuse the public development key and keys derived from it unless DEBUG=1 or
XIAOBAO_ALLOW_INSECURE_KEY=1; the test databases are throw-away, so the test run allows them.
A test that checks the refusal starts its own process with the switch off.
"""

import os

os.environ.setdefault("XIAOBAO_ALLOW_INSECURE_KEY", "1")
