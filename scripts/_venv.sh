# Sourced by the scripts: make .venv (Python >= 3.11) and install huitong with its pinned deps.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "huitong needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# HUITONG_EXTRAS: the optional dependencies to install beside huitong (test.sh adds spark)
extras="${HUITONG_EXTRAS:-dev}"
stamp=.venv/.installed-$( (cat pyproject.toml; echo "$extras") | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
# The pages' front-end libraries, from the npm registry, served by the app: cytoscape for
# /explore, React and GraphiQL for GET /graphql.
for pages in api/explore api/graphiql; do
  if [ ! -d "$pages/node_modules" ] && command -v npm >/dev/null 2>&1; then
    (cd "$pages" && npm ci --omit=dev --no-audit --no-fund --silent)
  fi
done
