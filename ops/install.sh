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

# Stock clients the tests drive the platform with: the official NATS client for Python
# (watching the scores as personalization) and Schemathesis (the OpenAPI property test).
python_wanted=(nats-py schemathesis)
python_missing=()
for package in "${python_wanted[@]}"; do
  python3 -m pip show -q "$package" >/dev/null 2>&1 || python_missing+=("$package")
done
if [ ${#python_missing[@]} -gt 0 ]; then
  say "installing Python packages ${python_missing[*]}"
  python3 -m pip install -q "${python_missing[@]}" >/dev/null
fi

command -v swift >/dev/null || die "swift is not on PATH; Reprise needs Swift 6.2 or newer"
say "dependencies present"
