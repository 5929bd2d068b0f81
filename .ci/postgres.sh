#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests that need a real server (tests/test_sql.py).
#   eval "$(bash .ci/postgres.sh start)"   # prints: export ORDERS_MIGRATE_TEST_PG_URL=...
#   bash .ci/postgres.sh stop              # stops it and removes its files
# Debian's postgresql package is installed only when no initdb is found (as root: apt-get). The cluster
# lives in a mktemp folder (the postgres user must reach it, which a clone under /root would not allow;
# .ci/pg/dir records where), listens on a unix socket there and on no TCP port, trusts local users and
# does not fsync: it holds test tables only. As root, the server runs as the system user postgres, since
# postgres refuses to run as root.
set -euo pipefail
cd "$(dirname "$0")"
state=pg/dir

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$found" ] || [ ! -x "$found/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "postgres.sh: no PostgreSQL server here; install Debian's postgresql package" >&2
      exit 1
    fi
    echo "postgres.sh: installing postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$found"
}

as_server() {  # run a server command as its owner: postgres when we are root, else ourselves
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  if [ -f "$state" ]; then
    stop
  fi
  local bin dir
  bin=$(bindir)
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
  dir=$(mktemp -d /tmp/orders-migrate-pg.XXXXXX)
  mkdir -p pg
  echo "$dir" >"$state"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_server "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C -N >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2 || {
    cat "$dir/server.log" >&2
    exit 1
  }
  echo "export ORDERS_MIGRATE_TEST_PG_URL='postgresql://postgres@/postgres?host=$dir'"
}

stop() {
  [ -f "$state" ] || return 0
  local bin dir
  dir=$(cat "$state")
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
  fi
  case "$dir" in /tmp/orders-migrate-pg.*) rm -rf "$dir" ;; esac
  rm -f "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: bash .ci/postgres.sh start|stop" >&2
    exit 2
    ;;
esac
