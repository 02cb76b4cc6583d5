"""`python -m archive` is the same as the `news-archive` console script."""

import sys

from archive.cli import main

sys.exit(main())
