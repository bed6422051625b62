"""GraphQL types, one concept per module; assembled in :mod:`api.schema`."""
