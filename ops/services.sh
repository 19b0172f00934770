#!/usr/bin/env bash
# Starts, stops and reports a private PostgreSQL cluster and a nats-server with JetStream,
# both on loopback, with their data under the run directory (.run/ by default).
#
#   ops/services.sh start    start both (harmless when already running), wait until ready
#   ops/services.sh stop     stop both
#   ops/services.sh status   exit 0 only when both answer
#   ops/services.sh env      print export lines for REPRISE_POSTGRES_URL, REPRISE_NATS_URL (the operator
#                            user) and the relay's and projectors' own NATS users
# `start` also creates personalization's mirror of the scores bucket (ops/nats/personalization-mirror.py).
#   ops/services.sh restart-postgres   stop PostgreSQL (fast: sessions are cut) and start it again
#   ops/services.sh restart-nats       stop nats-server (SIGTERM) and start it again
#   ops/services.sh kill-nats          SIGKILL nats-server (no flush, no goodbye), then start it again
# The restarts are for fault tests; they keep the data and the ports.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PG_DATA=$REPRISE_RUN_DIR/postgres
PG_SOCKET_DIR=$REPRISE_RUN_DIR/postgres-socket
PG_LOG=$REPRISE_RUN_DIR/postgres.log
NATS_STORE=$REPRISE_RUN_DIR/nats
NATS_PID=$REPRISE_RUN_DIR/nats.pid
NATS_LOG=$REPRISE_RUN_DIR/nats.log

# initdb and postgres refuse to run as root; as root, run them as the 'postgres'
# system user that Debian's postgresql-common creates.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

own_for_pg() {
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$@"; fi
}

# Closes every descriptor above 2 of the calling (sub)shell. A daemon started from here must
# not keep one of its caller's pipes or sockets open: a caller that waits for end-of-file
# (`$(ops/services.sh start)`, or a test runner watching its child) would wait as long as
# the server lives.
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$REPRISE_PG_PORT" -d postgres; }

start_postgres() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found (run ops/install.sh)"
  mkdir -p "$REPRISE_RUN_DIR" "$PG_SOCKET_DIR"
  own_for_pg "$PG_SOCKET_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    # The postgres user must be able to reach the run directory.
    local dir=$REPRISE_RUN_DIR
    while [ "$dir" != "/" ]; do chmod o+x "$dir" 2>/dev/null || true; dir=$(dirname "$dir"); done
  fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    say "creating PostgreSQL cluster in $PG_DATA"
    mkdir -p "$PG_DATA"; own_for_pg "$PG_DATA"; chmod 700 "$PG_DATA"
    as_pg_owner "$PG_BIN/initdb" -D "$PG_DATA" -U "$REPRISE_PG_USER" --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$REPRISE_RUN_DIR/initdb.log" 2>&1 \
      || die "initdb failed; see $REPRISE_RUN_DIR/initdb.log"
    cat >>"$PG_DATA/postgresql.conf" <<CONF
# Reprise local cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCKET_DIR'
# Tests run in parallel, each with a schema and pools of its own.
max_connections = 500
shared_buffers = 256MB
# An idle transaction holds back the event store's visibility horizon; cap it.
idle_in_transaction_session_timeout = '60s'
CONF
  fi
  touch "$PG_LOG"; own_for_pg "$PG_LOG"
  if pg_ready; then
    say "PostgreSQL already running on port $REPRISE_PG_PORT"
  else
    (close_inherited_fds; as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "-p $REPRISE_PG_PORT" -w -t 60 start >/dev/null) \
      || die "PostgreSQL did not start; see $PG_LOG"
  fi
  if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$REPRISE_PG_PORT" -U "$REPRISE_PG_USER" -d postgres -tAc \
      "select 1 from pg_database where datname = '$REPRISE_PG_DATABASE'" | grep -q 1; then
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$REPRISE_PG_PORT" -U "$REPRISE_PG_USER" "$REPRISE_PG_DATABASE"
  fi
}

nats_ready() { curl -sf "http://127.0.0.1:$REPRISE_NATS_MONITOR_PORT/healthz?js-enabled-only=true" >/dev/null 2>&1; }

start_nats() {
  [ -x "$NATS_SERVER" ] || die "nats-server not found (run ops/install.sh)"
  mkdir -p "$NATS_STORE"
  if [ -f "$NATS_PID" ] && kill -0 "$(cat "$NATS_PID")" 2>/dev/null && nats_ready; then
    say "nats-server already running on port $REPRISE_NATS_PORT"
    return
  fi
  (close_inherited_fds; exec nohup "$NATS_SERVER" -c "$REPRISE_ROOT/ops/nats/nats-server.conf" \
    -a 127.0.0.1 -p "$REPRISE_NATS_PORT" -m "$REPRISE_NATS_MONITOR_PORT" \
    -sd "$NATS_STORE" -l "$NATS_LOG" >/dev/null 2>&1) &
  echo $! >"$NATS_PID"
  for _ in $(seq 1 200); do
    nats_ready && return
    kill -0 "$(cat "$NATS_PID")" 2>/dev/null || die "nats-server exited; see $NATS_LOG"
    sleep 0.05
  done
  die "nats-server did not become ready; see $NATS_LOG"
}

stop_postgres() {
  if [ -f "$PG_DATA/PG_VERSION" ] && as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    say "PostgreSQL stopped"
  fi
}

stop_nats() {
  if [ -f "$NATS_PID" ] && kill -0 "$(cat "$NATS_PID")" 2>/dev/null; then
    local pid; pid=$(cat "$NATS_PID")
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    say "nats-server stopped"
  fi
  rm -f "$NATS_PID"
}

# SIGKILL: what a crash looks like to clients and to the JetStream file store.
kill_nats() {
  if [ -f "$NATS_PID" ] && kill -0 "$(cat "$NATS_PID")" 2>/dev/null; then
    local pid; pid=$(cat "$NATS_PID")
    kill -9 "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    say "nats-server killed"
  fi
  rm -f "$NATS_PID"
}

print_env() {
  echo "export REPRISE_POSTGRES_URL='$(pg_url)'"
  echo "export REPRISE_NATS_URL='$(nats_url)'"
  echo "export REPRISE_NATS_RELAY_URL='$(nats_user_url relay)'"
  echo "export REPRISE_NATS_PROJECTOR_SCORES_URL='$(nats_user_url projector-scores)'"
  echo "export REPRISE_NATS_PROJECTOR_CAMPAIGNS_URL='$(nats_user_url projector-campaigns)'"
}

# Personalization reads the scores through a mirror in its own account; the mirror waits
# for the platform's bucket if it does not exist yet. Idempotent.
ensure_personalization_mirror() {
  python3 "$REPRISE_ROOT/ops/nats/personalization-mirror.py" --url "$(nats_user_url personalization-admin)" \
    || die "could not create personalization's score mirror (is nats-py installed? run ops/install.sh; a server started with an older nats-server.conf needs ops/services.sh restart-nats)"
}

case "${1:-}" in
  start)
    start_postgres
    start_nats
    ensure_personalization_mirror
    say "PostgreSQL: $(pg_url)"
    say "NATS:       $(nats_url)"
    ;;
  stop) stop_nats; stop_postgres ;;
  status)
    ok=0
    if pg_ready; then say "PostgreSQL up on $REPRISE_PG_PORT"; else say "PostgreSQL down"; ok=1; fi
    if nats_ready; then say "nats-server up on $REPRISE_NATS_PORT"; else say "nats-server down"; ok=1; fi
    exit $ok
    ;;
  env) print_env ;;
  restart-postgres) stop_postgres; start_postgres; say "PostgreSQL restarted on $REPRISE_PG_PORT" ;;
  restart-nats) stop_nats; start_nats; say "nats-server restarted on $REPRISE_NATS_PORT" ;;
  kill-nats) kill_nats; start_nats; say "nats-server killed and started again on $REPRISE_NATS_PORT" ;;
  *) echo "usage: $0 start|stop|status|env|restart-postgres|restart-nats|kill-nats" >&2; exit 2 ;;
esac
