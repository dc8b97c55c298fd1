"""The ASGI service: app factory, settings, auth, routes, CLI."""
