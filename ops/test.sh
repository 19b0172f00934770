#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL and a real nats-server.
# This is the README's test command, and .ci/run calls exactly this.
#
# It installs what is missing, starts the servers (or reuses running ones), and fails,
# never skips, when a server cannot be started: a green run means the integration
# tests really ran. Servers this script started are stopped again when it ends.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPRISE_ROOT"

"$REPRISE_ROOT/ops/install.sh"

started_here=false
if ! "$REPRISE_ROOT/ops/services.sh" status >/dev/null 2>&1; then
  started_here=true
  trap '"$REPRISE_ROOT/ops/services.sh" stop || true' EXIT
fi
"$REPRISE_ROOT/ops/services.sh" start
eval "$("$REPRISE_ROOT/ops/services.sh" env)"
"$REPRISE_ROOT/ops/services.sh" status

say "building"
swift build --build-tests "$@"
say "testing"
swift test --skip-build "$@"
say "all tests passed$([ "$started_here" = true ] && echo "; stopping the servers this run started")"
