#!/usr/bin/env bash
# Validate docker-compose.yml WITHOUT a Docker engine.
#
#   scripts/validate-compose.sh [docker-compose.yml] [--print]
#
# 1. compose-go (github.com/compose-spec/compose-go/v2, the loader `docker compose` v2 itself uses),
#    via the small Go program in deploy/compose-validate: Compose Specification JSON-schema
#    validation, variable interpolation, normalization and cross-reference checks (depends_on,
#    volumes, networks, profiles), plus checks that the `worker` service can be scaled and that its
#    stop_grace_period covers the worker's --shutdown-grace (a stop must not SIGKILL in-flight plays).
#    Needs Go (modules come from the Go module proxy; first run compiles in ~30 s, then cached).
# 2. If a `docker compose` v2 plugin is installed (no engine needed for `config`), it runs too.
# 3. If Debian's docker-compose 1.29 is installed, `docker-compose config -q` runs too (keeps the
#    file loadable by old installations). When neither Go nor any compose is available, it is
#    installed with apt-get (older schema, weaker than 1.).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FILE="${1:-$ROOT/docker-compose.yml}"
PRINT=""
for a in "$@"; do [ "$a" = "--print" ] && PRINT="-print"; done
[ "$FILE" = "--print" ] && FILE="$ROOT/docker-compose.yml"
[ -f "$FILE" ] || { echo "no such file: $FILE" >&2; exit 2; }

validated=0
if command -v go >/dev/null 2>&1; then
  BIN="$ROOT/tools/compose-validate/compose-validate"
  SRC="$ROOT/deploy/compose-validate"
  if [ ! -x "$BIN" ] || [ -n "$(find "$SRC" -newer "$BIN" -type f 2>/dev/null | head -1)" ]; then
    echo "building compose-validate (compose-go) ..." >&2
    mkdir -p "$(dirname "$BIN")"
    (cd "$SRC" && go build -o "$BIN" .)
  fi
  # Provider keys etc. may be unset here; compose interpolates them to their defaults.
  "$BIN" $PRINT -scale worker -grace worker "$FILE"
  validated=1
fi

if docker compose version >/dev/null 2>&1; then
  docker compose -f "$FILE" --profile cli config -q
  echo "docker compose config: OK" >&2
  validated=1
fi

if command -v docker-compose >/dev/null 2>&1; then
  # Also keeps the file loadable by older installations (Debian's docker-compose 1.29).
  docker-compose -f "$FILE" --profile cli config -q
  echo "docker-compose (v1) config: OK" >&2
  validated=1
fi

if [ "$validated" = 0 ]; then
  echo "neither Go nor docker compose found; installing Debian's docker-compose for a basic check" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq docker-compose >/dev/null
  docker-compose -f "$FILE" --profile cli config -q
  echo "docker-compose (v1) config: OK" >&2
fi
