#!/usr/bin/env bash
# Start or stop throw-away PostgreSQL and Redis servers on loopback for the test suite.
#   scripts/test-services.sh start DIR   -> prints `export DATABASE_URL=… REDIS_URL=…` lines to DIR/env
#   scripts/test-services.sh stop DIR
# Debian's initdb refuses to run as root, so the cluster belongs to the `postgres` user.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  echo "$bin"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  mkdir -p "$dir"
  local pgdata="$dir/pg" pgport redisport bin
  bin=$(pg_bin)
  pgport=$(free_port)
  redisport=$(free_port)
  rm -rf "$pgdata"
  mkdir -p "$pgdata"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  as_postgres "$bin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
  as_postgres "$bin/pg_ctl" -D "$pgdata" -l "$dir/pg.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $pgport -k $pgdata -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  as_postgres "$bin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres dabai
  redis-server --port "$redisport" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
  for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  cat >"$dir/env" <<ENV
export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pgport/dabai
export TEST_REDIS_URL=redis://127.0.0.1:$redisport/0
ENV
  echo "PostgreSQL on 127.0.0.1:$pgport, Redis on 127.0.0.1:$redisport ($dir)"
}

stop() {
  local bin
  bin=$(pg_bin)
  if [ -d "$dir/pg" ]; then as_postgres "$bin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}

"$cmd"
