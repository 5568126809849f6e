"""The producer library: what long-running code calls to report progress."""
