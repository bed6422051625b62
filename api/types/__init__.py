"""The GraphQL surface: one module per type family, each with the root fields that return it
(assembled into ``Query`` and ``Mutation`` by :mod:`api.schema`). Resolvers are thin: they call
a service of :mod:`api` (``services``, ``steward``, ``investigate``) and map its plain data to
types (``from_record``); lists are :mod:`api.types.pagination`'s generic connections."""
