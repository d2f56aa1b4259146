"""``python -m privateapi_cli``: the same as the ``privateapi`` command."""

import sys

from privateapi_cli.main import main

sys.exit(main())
