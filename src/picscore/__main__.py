"""`python -m picscore` is the `picscore` command."""

import sys

from picscore.cli import main

sys.exit(main())
