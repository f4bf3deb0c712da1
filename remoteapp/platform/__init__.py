"""OS-specific code behind small interfaces, Qt-free (the UI calls them off its thread)."""
