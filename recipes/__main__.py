"""`python -m recipes RECIPE [options]`, the same as the `kerasnn` command."""

import sys

from .cli import main

sys.exit(main())
