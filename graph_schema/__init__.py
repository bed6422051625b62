"""Everything about the graph: the Neo4j server, connections, schema migrations and all Cypher."""
