#!/usr/bin/env bash
# Installs the Debian packages sasim needs, and only those that are missing. Idempotent.
# As root it runs apt-get; otherwise it prints the exact command to run and stops.
set -euo pipefail

packages=(
  cmake make g++ pkg-config
  verilator libsystemc-dev
  libgtest-dev libfmt-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  chromium fonts-dejavu-core gtkwave yosys
  xvfb xauth x11-apps imagemagick  # GTKWave opened under Xvfb (gtkwave_view_tests), screenshots
  python3-torch python3-numpy python3-yaml python3-sklearn
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "sasim needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:  apt-get update && $cmd" >&2
  exit 1
fi

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
