#!/usr/bin/env bash
# Installs what Reprise needs from Debian's packages, and only what is missing.
# Safe to run any number of times.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

wanted=(postgresql libpq-dev libnats-dev nats-server pkg-config curl)
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root or install them with apt-get"
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || die "swift is not on PATH; Reprise needs Swift 6.2 or newer"
say "dependencies present"
