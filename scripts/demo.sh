#!/usr/bin/env bash
# The README's first command: set everything up and run the main job on a generated city:
# generate → resolve → start Neo4j → publish. Size and seed: DEMO_PERSONS, DEMO_SEED.
source "$(dirname "$0")/_venv.sh"
persons="${DEMO_PERSONS:-20000}"
seed="${DEMO_SEED:-1}"
city="demo/city-${persons}-${seed}"
workdir="demo/work"
if [ ! -f "$city/sources.toml" ]; then
  huitong generate --persons "$persons" --seed "$seed" --out "$city"
fi
huitong resolve --config "$city/sources.toml" --workdir "$workdir"
huitong evaluate --truth "$city/truth.csv" --workdir "$workdir"
huitong neo4j start
huitong graph migrate
huitong publish --workdir "$workdir"
echo
echo "Neo4j is up with the resolved city. Connect with:  eval \"\$(.venv/bin/huitong neo4j env)\""
