"""`python -m archive` is the same as the `news-archive` console script."""

import sys

from archive.interfaces.cli import main

sys.exit(main())
