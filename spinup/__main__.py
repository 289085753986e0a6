"""``python -m spinup`` is the same as ``python -m spinup.run``."""

import sys

from spinup.run import main

if __name__ == "__main__":
    sys.exit(main())
