#!/bin/sh
# Create (if needed) and upgrade the Temporal persistence and visibility schemas on PostgreSQL.
# Runs in temporalio/admin-tools; idempotent, so every `docker compose up` may run it.
set -eu
: "${POSTGRES_SEEDS:=postgresql}" "${DB_PORT:=5432}" "${POSTGRES_USER:=temporal}"
export SQL_PASSWORD="${SQL_PASSWORD:-${POSTGRES_PWD:-temporal}}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}..."
i=0
until nc -z -w 2 "$POSTGRES_SEEDS" "$DB_PORT"; do
  i=$((i + 1)); [ "$i" -ge 60 ] && { echo "PostgreSQL not reachable" >&2; exit 1; }
  sleep 1
done

sqltool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}
for db in temporal temporal_visibility; do
  case "$db" in temporal) dir="$SCHEMA_DIR/temporal/versioned" ;; *) dir="$SCHEMA_DIR/visibility/versioned" ;; esac
  sqltool --db "$db" create || echo "database $db exists"
  # setup-schema -v 0.0 only creates the version table when missing; update-schema is incremental.
  sqltool --db "$db" setup-schema -v 0.0 || echo "schema of $db already initialised"
  sqltool --db "$db" update-schema -d "$dir"
done
echo "Temporal schemas are up to date"
