#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL server.
#
# initdb in a fresh temporary directory (as the unprivileged `postgres` user when run as root:
# PostgreSQL refuses to run as root), a random free port on 127.0.0.1, the unix socket in the same
# temporary directory, `trust` authentication for local connections only. The command runs with
# MEDIC_TEST_PG_URL (a postgres:// URL to a database named `medic`) and MEDIC_TEST_PG_ADMIN_URL (the
# `postgres` database, for tests that create their own databases). The server is stopped and the
# directory removed afterwards, whatever the command's exit code.
#
# No PostgreSQL installed: the command runs as is with MEDIC_TEST_PG_SKIP set to the reason, and the
# PostgreSQL tests skip saying why -- unless MEDIC_REQUIRE_POSTGRES=1, which makes them fail.
#
# MEDIC_TEST_PG_OPTS: more server options for a diagnosis, e.g.
#   MEDIC_TEST_PG_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
# (the fleet bench prints per-statement costs then: bench/pg-stats.ts).
set -uo pipefail

pg_bin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && pg_bin="$d"
done
[ -z "$pg_bin" ] && command -v initdb >/dev/null && pg_bin=$(dirname "$(command -v initdb)")

reason=""
if [ -z "$pg_bin" ]; then
  reason="PostgreSQL server binaries not found (apt-get install postgresql)"
elif [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  reason="running as root and there is no 'postgres' user to run the server as"
fi
if [ -n "$reason" ]; then
  echo "with-postgres: $reason; PostgreSQL tests will skip" >&2
  export MEDIC_TEST_PG_SKIP="$reason"
  exec "$@"
fi

dir=$(mktemp -d /tmp/medic-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT

if ! "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
  echo "with-postgres: initdb failed:" >&2
  cat "$dir/initdb.log" >&2
  exit 97
fi
if ! "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200 ${MEDIC_TEST_PG_OPTS:-}" start >/dev/null; then
  echo "with-postgres: the server did not start:" >&2
  cat "$dir/server.log" >&2
  exit 97
fi
"$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres medic || exit 97

export MEDIC_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/medic"
export MEDIC_TEST_PG_ADMIN_URL="postgres://postgres@127.0.0.1:$port/postgres"
export MEDIC_TEST_PG_DIR="$dir" MEDIC_TEST_PG_BIN="$pg_bin" MEDIC_TEST_PG_PORT="$port"
"$@"
exit $?
