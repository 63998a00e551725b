#!/usr/bin/env bash
# Creates the benchmark-only Python environment for the TreeQuest reference (AB-MCTS-A by Sakana
# AI, Apache-2.0, PyPI "treequest") under tools/treequest-venv (git-ignored, never committed).
# Usage: bash bench/treequest/setup.sh   (needs python3 >= 3.11 and PyPI access)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/tools/treequest-venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "treequest==${TREEQUEST_VERSION:-0.3.3}"
"$VENV/bin/python" -c "import treequest, importlib.metadata as m; print('treequest', m.version('treequest'), 'in', '$VENV')"
