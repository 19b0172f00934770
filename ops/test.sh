#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL and a real nats-server.
# This is the README's test command, and .ci/run calls exactly this.
#
# Two phases: every suite against the shared servers, then the fault suite
# (Tests/RepriseFaultTests: crashes and server restarts under load), which starts, restarts
# and stops a PostgreSQL and a nats-server of its own on other ports (.run-faults/).
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

say "checking that Package.swift declares exactly what each target imports"
python3 "$REPRISE_ROOT/ops/checks/imports.py"
say "building (warnings in our targets are errors)"
swift build --build-tests "$@"
say "testing"
# The fault suite stays off here even if the caller's environment turns it on.
env -u REPRISE_FAULT_TESTS swift test --skip-build "$@"
say "fault tests (private servers on other ports)"
REPRISE_FAULT_TESTS=1 swift test --skip-build --filter RepriseFaultTests "$@"
say "all tests passed$([ "$started_here" = true ] && echo "; stopping the servers this run started")"
