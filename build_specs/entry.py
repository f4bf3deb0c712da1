"""What the built executable runs: the ``remoteapp`` command."""

import sys

from remoteapp.cli import main

sys.exit(main())
