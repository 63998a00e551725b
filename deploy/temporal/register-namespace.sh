#!/bin/sh
# Create the namespace (if missing) and register toa's custom search attributes (if missing).
# Runs in temporalio/admin-tools against $TEMPORAL_ADDRESS; idempotent.
# Attribute list: search-attributes.txt next to this file ("Name Type" per line), generated from
# src/server/searchAttributes.ts (test/server checks they agree).
set -eu
ADDR="${TEMPORAL_ADDRESS:-temporal:7233}"
NS="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_RETENTION:-7d}"
HERE="$(cd "$(dirname "$0")" && pwd)"

echo "waiting for Temporal at $ADDR..."
i=0
until temporal operator cluster health --address "$ADDR" >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -ge 60 ] && { echo "Temporal at $ADDR is not healthy" >&2; exit 1; }
  sleep 2
done

if temporal operator namespace describe --address "$ADDR" --namespace "$NS" >/dev/null 2>&1; then
  echo "namespace $NS exists"
else
  temporal operator namespace create --address "$ADDR" --namespace "$NS" --retention "$RETENTION"
fi

# A new namespace becomes visible to every frontend only after the namespace cache refresh (~10 s).
i=0
until existing="$(temporal operator search-attribute list --address "$ADDR" --namespace "$NS" 2>/dev/null)"; do
  i=$((i + 1)); [ "$i" -ge 30 ] && { echo "namespace $NS not visible" >&2; exit 1; }
  sleep 2
done
grep -v -e '^#' -e '^[[:space:]]*$' "$HERE/search-attributes.txt" | while read -r name type; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --address "$ADDR" --namespace "$NS" --name "$name" --type "$type"
  fi
done
echo "namespace $NS ready with toa search attributes"
