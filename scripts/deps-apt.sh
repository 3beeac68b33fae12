#!/usr/bin/env bash
# Installs the Debian packages Paydesk needs to build and test, only when some are missing.
#   scripts/deps-apt.sh            build + test packages (what `make run` and `make test` need;
#                                  postgresql: the tests start throwaway servers of the shared book)
#   scripts/deps-apt.sh bench      … and python3-venv (pandas baseline of `make bench`), GNU time (peak memory)
#   scripts/deps-apt.sh exports    … and LibreOffice + poppler (scripts/look-at-exports.sh)
#   scripts/deps-apt.sh package    … and squashfs-tools + desktop-file-utils (make package, package-test)
set -euo pipefail
BUILD="build-essential pkg-config curl file postgresql libssl-dev libxdo-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libasound2-dev"
TEST="xvfb xauth x11-utils dbus-x11 webkit2gtk-driver imagemagick xdotool fonts-dejavu-core fonts-noto-cjk chromium zbar-tools"
EXTRA=""
for group in "$@"; do
  case "$group" in
    bench) EXTRA="$EXTRA python3-venv time" ;;
    exports) EXTRA="$EXTRA libreoffice-calc-nogui poppler-utils" ;;
    package) EXTRA="$EXTRA squashfs-tools desktop-file-utils" ;;
    *) echo "deps-apt.sh: unknown group $group (bench, exports, package)" >&2; exit 2 ;;
  esac
done
if dpkg -s $BUILD $TEST $EXTRA >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "Installing system packages (once)…"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $BUILD $TEST $EXTRA >/dev/null
