#!/usr/bin/env bash
# Makes the AppImage from the files of the .deb, with registry-only tools:
#   scripts/package-appimage.sh DEB OUT_DIR
# An AppImage is an executable runtime followed by a SquashFS image of an AppDir whose AppRun
# starts the app. The AppDir here is the .deb's file tree (the app, the `paydesk` CLI, the demo
# assets, icons, desktop entry) plus AppRun; the image is made by Debian's mksquashfs; the
# runtime (AppImageKit's type-2 runtime) comes from crates.io, where the `appimage` crate ships
# it — the reference tools (linuxdeploy, appimagetool) are only published on GitHub.
#
# Like the .deb, the AppImage uses the system's WebKitGTK 4.1 and GTK 3 (libwebkit2gtk-4.1-0):
# bundling WebKitGTK needs linuxdeploy's GTK plugin. AppRun says so when the library is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "$1")
out=$2
arch=$(dpkg-deb -f "$deb" Architecture)
[ "$arch" = amd64 ] || { echo "AppImage: only x86_64 has a runtime from the registry (got $arch)" >&2; exit 1; }
version=$(dpkg-deb -f "$deb" Version)

# The runtime: fetched (and checksummed against the lock file) by cargo, then pinned here too.
manifest=scripts/packaging/appimage-runtime/Cargo.toml
crate_dir=$(cargo metadata --locked --format-version 1 --manifest-path "$manifest" | python3 -c '
import json, os, sys
m = json.load(sys.stdin)
print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"] == "appimage"))')
runtime="$crate_dir/assets/runtime-x86_64"
echo "328e0d745c5c6817048c27bc3e8314871703f8f47ffa81a37cb06cd95a94b323  $runtime" | sha256sum -c --quiet

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
app="$work/Paydesk.AppDir"
mkdir -p "$app"
dpkg-deb -x "$deb" "$app"
desktop=$(ls "$app"/usr/share/applications/*.desktop)
cp "$desktop" "$app/paydesk.desktop"
icon=$(sed -n 's/^Icon=//p' "$desktop")
cp "$app/usr/share/icons/hicolor/128x128/apps/$icon.png" "$app/$icon.png"
ln -s "$icon.png" "$app/.DirIcon"
cat > "$app/AppRun" <<'EOF'
#!/bin/sh
# Starts Paydesk from the AppImage. `Paydesk.AppImage paydesk ARGS…` runs the paydesk CLI.
HERE=$(dirname "$(readlink -f "$0")")
export PAYDESK_ASSETS="$HERE/usr/lib/Paydesk/assets"
if [ "${1:-}" = paydesk ]; then shift; exec "$HERE/usr/bin/paydesk" "$@"; fi
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libwebkit2gtk-4\.1\.so\.0'; then
  echo "Paydesk needs WebKitGTK 4.1 (Debian/Ubuntu: sudo apt install libwebkit2gtk-4.1-0)" >&2
fi
exec "$HERE/usr/bin/paydesk-app" "$@"
EOF
chmod 755 "$app/AppRun"
# gzip: the compression this runtime reads.
mksquashfs "$app" "$work/image.squashfs" -root-owned -noappend -quiet -comp gzip
mkdir -p "$out"
image="$out/Paydesk_${version}_amd64.AppImage"
cat "$runtime" "$work/image.squashfs" > "$image"
chmod 755 "$image"
echo "$image"
