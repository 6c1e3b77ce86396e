#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis that a single-machine mfnas (and its tests) use, if they are not running,
# and creates the named database if it is missing. Usage: scripts/services-up.sh [database-name]
set -euo pipefail

PGHOST_ADDR=${PGHOST_ADDR:-127.0.0.1}
database=${1:-}

if ! pg_isready -q -h "$PGHOST_ADDR" -p 5432; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST_ADDR" -p 5432 && break; sleep 1; done
fi
pg_isready -h "$PGHOST_ADDR" -p 5432 >/dev/null || { echo "services: PostgreSQL did not come up" >&2; exit 1; }

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "services: Redis did not come up" >&2; exit 1; }

if [ -n "$database" ]; then
  exists=$(psql -h "$PGHOST_ADDR" -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$database'")
  if [ "$exists" != "1" ]; then
    createdb -h "$PGHOST_ADDR" -U postgres "$database"
    echo "services: created database $database"
  fi
fi
