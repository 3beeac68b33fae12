#!/usr/bin/env bash
# Builds the installable app (`make package`). On Linux: a .deb with the Tauri bundler, then an
# AppImage made from the same files (scripts/package-appimage.sh). Output:
#   $CARGO_TARGET_DIR/<profile>/bundle/deb/Paydesk_<version>_amd64.deb
#   $CARGO_TARGET_DIR/<profile>/bundle/appimage/Paydesk_<version>_amd64.AppImage
# Windows (NSIS + MSI) and macOS (.app + .dmg) bundles are configured in src-tauri/tauri.conf.json
# and built the same way on those systems: see docs/desktop.md.
#
# PACKAGE_PROFILE=release (default) is what a shop installs: optimised, thin LTO, no debug
# assertions. PACKAGE_PROFILE=debug packages the development build (the one `make test` already
# built: seconds instead of a cold release build) — CI uses it to test the packaging itself.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PACKAGE_PROFILE:-release}
target=${CARGO_TARGET_DIR:-target}
triple=$(rustc -vV | sed -n 's/^host: //p')
case "$profile" in
  release) cargo_flag=(--release); tauri_flag=() ;;
  debug) cargo_flag=(); tauri_flag=(--debug) ;;
  *) echo "PACKAGE_PROFILE must be release or debug" >&2; exit 2 ;;
esac
scripts/deps-apt.sh package
[ -x ui/node_modules/.bin/tauri ] || scripts/deps-ui.sh

# The `paydesk` CLI goes into the bundle as an external binary (/usr/bin/paydesk in the .deb).
cargo build --locked "${cargo_flag[@]}" -p paydesk
mkdir -p src-tauri/binaries
cp "$target/$profile/paydesk" "src-tauri/binaries/paydesk-$triple"

if [ "$(uname -s)" != Linux ]; then
  ui/node_modules/.bin/tauri build --ci "${tauri_flag[@]}" --config src-tauri/tauri.package.json
  exit 0
fi
bundle="$target/$profile/bundle"
rm -rf "$bundle/deb" "$bundle/appimage"
# The AppImage is not made by the bundler: its linuxdeploy and appimagetool download from GitHub.
ui/node_modules/.bin/tauri build --ci "${tauri_flag[@]}" --bundles deb --config src-tauri/tauri.package.json
deb=$(ls "$bundle"/deb/*.deb)
scripts/package-appimage.sh "$deb" "$bundle/appimage"
ls -l "$bundle"/deb/*.deb "$bundle"/appimage/*.AppImage
