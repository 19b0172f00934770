# Shared settings for the ops scripts. Sourced, never run.
# Every value can be overridden from the environment, so two checkouts (or a test run
# beside a dev run) can keep their servers apart.
REPRISE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPRISE_RUN_DIR=${REPRISE_RUN_DIR:-$REPRISE_ROOT/.run}
REPRISE_PG_PORT=${REPRISE_PG_PORT:-55432}
REPRISE_NATS_PORT=${REPRISE_NATS_PORT:-54222}
REPRISE_NATS_MONITOR_PORT=${REPRISE_NATS_MONITOR_PORT:-58222}
REPRISE_PG_DATABASE=${REPRISE_PG_DATABASE:-reprise}
REPRISE_PG_USER=${REPRISE_PG_USER:-reprise}
# The platform's own NATS user in the local dev config (ops/nats/nats-server.conf).
REPRISE_NATS_USER=${REPRISE_NATS_USER:-reprise}
REPRISE_NATS_PASSWORD=${REPRISE_NATS_PASSWORD:-reprise-dev}

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}

pg_url() { echo "postgresql://$REPRISE_PG_USER@127.0.0.1:$REPRISE_PG_PORT/$REPRISE_PG_DATABASE"; }
nats_url() { echo "nats://$REPRISE_NATS_USER:$REPRISE_NATS_PASSWORD@127.0.0.1:$REPRISE_NATS_PORT"; }
# Another user of ops/nats/nats-server.conf, whose dev password is <user>-dev.
nats_user_url() { echo "nats://$1:$1-dev@127.0.0.1:$REPRISE_NATS_PORT"; }

say() { echo "reprise-ops: $*" >&2; }
die() { echo "reprise-ops: error: $*" >&2; exit 1; }
