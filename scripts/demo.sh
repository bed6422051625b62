#!/usr/bin/env bash
# The README's first command: set everything up and run the main job on a generated city:
# generate → resolve → start Neo4j → publish → serve the GraphQL API.
# DEMO_PERSONS (20000) and DEMO_SEED (1) size the city; DEMO_SERVE=0 stops before serving.
source "$(dirname "$0")/_venv.sh"
persons="${DEMO_PERSONS:-20000}"
seed="${DEMO_SEED:-1}"
port="${DEMO_PORT:-8000}"
city="demo/city-${persons}-${seed}"
workdir="demo/work"
if [ ! -f "$city/sources.toml" ]; then
  huitong generate --persons "$persons" --seed "$seed" --out "$city"
fi
huitong neo4j start
huitong resolve --config "$city/sources.toml" --workdir "$workdir"
huitong evaluate --truth "$city/truth.csv" --workdir "$workdir"
huitong graph migrate
huitong publish --workdir "$workdir"
token=$(huitong token create --role admin --subject demo --ttl 12h | tail -n 1)
cat <<INFO

Huitong is ready: ${persons} generated persons resolved and published to Neo4j.
INFO
# links that open each page with the token, and an address with repeat offenders from the graph
python scripts/demo_examples.py --port "$port" --token "$token"
if [ "${DEMO_SERVE:-1}" = "1" ]; then
  HUITONG_GRAPHIQL=1 exec huitong serve --host 127.0.0.1 --port "$port" --workdir "$workdir"
fi
