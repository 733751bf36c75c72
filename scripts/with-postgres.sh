#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL 15 cluster:
#
#   bash scripts/with-postgres.sh CMD ARGS...
#
# Starts a fresh cluster in a new temp dir (listening on 127.0.0.1 only, on a free
# port, its unix socket in that dir; fsync off: the data is not meant to survive),
# exports DESK_TEST_POSTGRES_URL=postgres://desk@127.0.0.1:PORT/postgres (a superuser,
# trust auth), runs CMD, then stops the cluster and removes the dir whatever CMD did,
# and exits with CMD's status. Clusters left by a run that was killed are swept first.
# The server binaries come from Debian's postgresql package (scripts/setup.sh).
# initdb refuses root, so as root the server runs as the `postgres` user.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=desk
PG_PASSWORD=desk

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'with-postgres: %s\n' "$*" >&2; exit 1; }

[ $# -gt 0 ] || { echo "usage: bash scripts/with-postgres.sh CMD ARGS..." >&2; exit 2; }
[ -x "$PG_BIN/postgres" ] || die "no PostgreSQL 15 in $PG_BIN: run scripts/setup.sh"

base=${TMPDIR:-/tmp}
# runuser lives in sbin, which a minimal PATH may leave out.
PATH="$PATH:/usr/sbin:/sbin"
if [ "$(id -u)" -eq 0 ]; then
  id -u postgres >/dev/null 2>&1 || die "running as root needs the postgres user (Debian's postgresql package)"
  # The postgres user must reach the dir; /tmp always lets it.
  runuser -u postgres -- test -x "$base" 2>/dev/null || base=/tmp
  # From a dir the postgres user can read, so initdb and pg_ctl do not warn.
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  as_pg() { "$@"; }
fi

stop_cluster() { # DATA_DIR: stop it now, by force if need be
  [ -f "$1/postmaster.pid" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$1" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  [ -f "$1/postmaster.pid" ] || return 0
  local pid
  pid=$(head -n1 "$1/postmaster.pid" 2>/dev/null || true)
  case "$pid" in '' | *[!0-9]*) ;; *) kill -9 "$pid" 2>/dev/null || true ;; esac
}

# Sweep clusters whose wrapper died without cleaning up (killed with SIGKILL, say).
for old in "$base"/desk-pg.*; do
  [ -f "$old/wrapper.pid" ] || continue
  kill -0 "$(cat "$old/wrapper.pid" 2>/dev/null)" 2>/dev/null && continue
  stop_cluster "$old/data"
  rm -rf "$old"
done

dir=$(mktemp -d "$base/desk-pg.XXXXXXXX")
echo $$ >"$dir/wrapper.pid"
[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
chmod 700 "$dir"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  stop_cluster "$dir/data"
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile"
[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir/pwfile"
if ! as_pg "$PG_BIN/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pwfile" \
  --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  die "initdb failed"
fi
cat >>"$dir/data/postgresql.conf" <<EOF

# with-postgres.sh: a throw-away test cluster, tuned for speed, not durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
logging_collector = off
EOF

# A free port: probe for a listener, and retry on another port if the server still
# cannot bind (someone took it in between).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
started=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 40000))
  port_in_use "$port" && continue
  if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $port" -w -t 60 start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  cat "$dir/server.log" >&2 2>/dev/null
  die "the PostgreSQL server did not start"
fi
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || die "PostgreSQL does not accept connections on 127.0.0.1:$port"

export DESK_TEST_POSTGRES_URL="postgres://$PG_USER@127.0.0.1:$port/postgres"
say "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') test cluster on 127.0.0.1:$port (data in $dir): DESK_TEST_POSTGRES_URL=$DESK_TEST_POSTGRES_URL"

# CMD runs as a child we wait for, so that a TERM sent to this script alone still
# reaches it and the cleanup follows at once; it keeps our stdin, and SIGINT/SIGQUIT
# (which bash would have a background child ignore) stay as they were.
child=""
forward() { # SIGNAL EXIT_STATUS
  [ -z "$child" ] || { kill -s "$1" "$child" 2>/dev/null; wait "$child" 2>/dev/null; }
  exit "$2"
}
trap 'forward INT 130' INT
trap 'forward TERM 143' TERM
(trap - INT QUIT && exec "$@") <&0 &
child=$!
set +e
wait "$child"
status=$?
exit "$status"
