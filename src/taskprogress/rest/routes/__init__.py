"""One router per resource; each is mounted under ``/zstack/v1`` and ``/v1``."""
