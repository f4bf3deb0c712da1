"""``python -m remoterelay`` is ``remoteapp-relay``."""

from remoterelay.cli import main

main()
