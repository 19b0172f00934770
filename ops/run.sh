#!/usr/bin/env bash
# Runs the platform on this machine: installs what is missing, starts PostgreSQL and
# NATS on loopback, builds `reprise`, migrates, shows that the pieces talk, then runs the
# demo: the HTTP API, the relay, the ticker and the scores projector in one process, tracks
# assigned to the demo's owner and campaigns booked over HTTP (flights starting at booking),
# and their promotion scores changing live in the NATS bucket.
# Extra arguments go to `reprise demo` (e.g. --seconds 60).
# This is the README's run command. The servers keep running afterwards;
# `ops/services.sh stop` stops them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPRISE_ROOT"

"$REPRISE_ROOT/ops/install.sh"
"$REPRISE_ROOT/ops/services.sh" start
eval "$("$REPRISE_ROOT/ops/services.sh" env)"

say "building reprise"
swift build --product reprise
reprise=$(swift build --show-bin-path)/reprise

"$reprise" migrate
"$reprise" doctor
"$reprise" demo --log-level warning "$@"
say "the servers keep running; stop them with ops/services.sh stop"
