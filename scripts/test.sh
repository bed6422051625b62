#!/usr/bin/env bash
# The README's second command: set up, lint (ruff, and the layer contracts of pyproject.toml
# through import-linter), then every test (they start their own Neo4j and drive Debian's
# Chromium for the browser tests, which read the pages in Chinese: they need a CJK font,
# Debian's fonts-noto-cjk, or every character renders as an empty box).
# The Spark engine's tests run Spark in local mode: install the [spark] extra (pyspark) too.
HUITONG_EXTRAS="${HUITONG_EXTRAS:-dev,spark}"
source "$(dirname "$0")/_venv.sh"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -n "$(fc-list :lang=zh-cn family 2>/dev/null)" ] || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's ${missing[*]} for the browser tests…"
    # another run may hold dpkg's lock: wait for it instead of failing
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      "${missing[@]}" >/dev/null
  else
    echo "the browser tests need ${missing[*]}: apt-get install ${missing[*]} (as root)" >&2
    exit 1
  fi
fi
ruff check .
ruff format --check .
lint-imports
python -m pytest "$@"
