#!/usr/bin/env bash
# The README's first command: set everything up and run the main job.
source "$(dirname "$0")/_venv.sh"
huitong neo4j start
huitong graph migrate
huitong neo4j status
echo
echo "Neo4j is up. Connect with:  eval \"\$(.venv/bin/huitong neo4j env)\""
