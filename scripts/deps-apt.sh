#!/usr/bin/env bash
# Installs the Debian packages Paydesk needs to build and test, only when some are missing.
set -euo pipefail
BUILD="build-essential pkg-config curl file libssl-dev libxdo-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libasound2-dev"
TEST="xvfb xauth x11-utils dbus-x11 webkit2gtk-driver imagemagick xdotool fonts-dejavu-core fonts-noto-cjk chromium python3-venv libreoffice-calc-nogui poppler-utils"
if dpkg -s $BUILD $TEST >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "Installing system packages (once)…"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $BUILD $TEST >/dev/null
