"""One module per platform. Only the registry and the process entry points import these."""
