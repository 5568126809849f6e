"""The HTTP layer: ZStack's REST conventions over the services. The only package that knows HTTP."""

from taskprogress.rest.app import create_app

__all__ = ["create_app"]
