"""Huitong's GraphQL API: cross-department questions, scoped by role and jurisdiction.

``api.app.create_app()`` builds the ASGI application (starlette + strawberry); ``api.cli``
holds the ``serve`` and ``token create`` commands. The API only reads the graph; it never
imports ``loaders``.
"""
