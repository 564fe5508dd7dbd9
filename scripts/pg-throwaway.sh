#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (no Docker): temporary directory, loopback port,
# fsync off, trust auth. Run as root (the server runs as the `postgres` user) or as any user
# that may run initdb.
#
#   eval "$(scripts/pg-throwaway.sh start)"   # exports DTSEN_TEST_PG and DTSEN_PG_DIR
#   scripts/pg-throwaway.sh stop "$DTSEN_PG_DIR"
set -euo pipefail

bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$d" ] && command -v initdb >/dev/null; then d=$(dirname "$(readlink -f "$(command -v initdb)")"); fi
  [ -n "$d" ] || { echo "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql" >&2; exit 1; }
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

case "${1:-}" in
  start)
    BIN=$(bin_dir)
    PORT=${DTSEN_PG_PORT:-$(( 20000 + RANDOM % 20000 ))}
    DIR=$(mktemp -d /tmp/dtsen-pg.XXXXXX)
    chmod 755 "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_pg "'$BIN/initdb' -D '$DIR/data' -A trust -U postgres --no-sync -E UTF8 >'$DIR/initdb.log' 2>&1" \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    as_pg "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/server.log' -w -t 60 start -o \"-F -k '$DIR' -c listen_addresses=127.0.0.1 -p $PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" >/dev/null" \
      || { cat "$DIR/server.log" >&2; exit 1; }
    echo "export DTSEN_TEST_PG=postgres://postgres@127.0.0.1:$PORT/postgres"
    echo "export DTSEN_PG_DIR=$DIR"
    ;;
  stop)
    DIR=${2:?usage: pg-throwaway.sh stop DIR}
    BIN=$(bin_dir)
    as_pg "'$BIN/pg_ctl' -D '$DIR/data' -m immediate stop >/dev/null" || true
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
