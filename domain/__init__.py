"""The business: one package per area. Never imports strawberry or starlette."""
