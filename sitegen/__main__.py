"""Run the command line as `python -m sitegen`."""

import sys

from sitegen.cli import main

sys.exit(main())
