import sys

from remoteapp.cli import main

sys.exit(main())
