#!/usr/bin/env bash
# The README's second command: set up, lint (ruff, and the layer contracts of pyproject.toml
# through import-linter), then every test (they start their own Neo4j and drive Debian's
# Chromium for the browser tests).
source "$(dirname "$0")/_venv.sh"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "the browser tests need Chromium: apt-get install chromium (as root)" >&2
    exit 1
  fi
fi
ruff check .
ruff format --check .
lint-imports
python -m pytest "$@"
