#!/usr/bin/env bash
# Creates the project-local Python virtualenv .venv with the pinned packages the Iceberg
# test fixtures are written with (pyiceberg on a SQLite catalog, pyarrow). Idempotent:
# quick when .venv already has them.
#
# Example: bash scripts/setup-python.sh && .venv/bin/python scripts/iceberg/write_tables.py /tmp/wh
set -euo pipefail
cd "$(dirname "$0")/.."
REQS="pyiceberg[sql-sqlite,pyarrow]==0.12.0 pyiceberg-core==0.10.1 pyarrow==21.0.0 sqlalchemy==2.0.44"
STAMP=".venv/.rdg-requirements"
if [ -x .venv/bin/python ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQS" ]; then
  exit 0
fi
PY="${PYTHON:-python3}"
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check $REQS
echo "$REQS" > "$STAMP"
