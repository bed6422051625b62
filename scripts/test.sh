#!/usr/bin/env bash
# The README's second command: lint, then every test (they start their own Neo4j).
source "$(dirname "$0")/_venv.sh"
ruff check .
ruff format --check .
python -m pytest "$@"
