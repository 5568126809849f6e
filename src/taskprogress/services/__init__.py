"""Services: what the server does, independent of HTTP. They raise domain errors that carry ZStack codes."""
