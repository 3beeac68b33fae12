#!/usr/bin/env bash
# The installable packages as a shop gets them (`make package-test`, after `make package`):
#  .deb: its contents and version, installed with dpkg, the desktop entry valid, `paydesk` on PATH,
#        the installed app started under Xvfb on a PC with no Paydesk home yet (first start: the
#        setup screen), a screenshot, then removed and purged with no file left behind;
#  AppImage: started under Xvfb too (by FUSE, or extract-and-run where there is no /dev/fuse),
#        its `paydesk` CLI answering, a screenshot.
# Screenshots: $CARGO_TARGET_DIR/package-test/*.png. Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
profile=${PACKAGE_PROFILE:-release}
target=${CARGO_TARGET_DIR:-target}
bundle="$target/$profile/bundle"
shots="$target/package-test"
rm -rf "$shots" && mkdir -p "$shots"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
pass=0 fail=0
ok() { echo "  ok    $1"; pass=$((pass + 1)); }
bad() { echo "  FAIL  $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }

deb=$(ls "$bundle"/deb/*.deb 2>/dev/null | head -1)
image=$(ls "$bundle"/appimage/*.AppImage 2>/dev/null | head -1)
[ -f "$deb" ] && [ -f "$image" ] || { echo "no packages in $bundle: run make package"; echo "0 passed, 1 failed"; exit 1; }
pkg=$(dpkg-deb -f "$deb" Package)

echo "== $deb"
check "version $version from the workspace" test "$(dpkg-deb -f "$deb" Version)" = "$version"
contents=$(dpkg-deb -c "$deb")
for f in usr/bin/paydesk-app usr/bin/paydesk usr/share/applications/Paydesk.desktop usr/share/icons/hicolor/128x128/apps/paydesk-app.png usr/lib/Paydesk/assets/demo/keys/merchant_private.pem usr/lib/Paydesk/assets/templates/epay-md5.toml; do
  check "contains /$f" grep -Eq " (\./)?$f\$" <<<"$contents"
done
check "depends on WebKitGTK 4.1 and ALSA" grep -q "libwebkit2gtk-4.1-0.*libasound2\|libasound2.*libwebkit2gtk-4.1-0" <<<"$(dpkg-deb -f "$deb" Depends)"

# A clean machine: nothing of an earlier run installed.
dpkg -s "$pkg" >/dev/null 2>&1 && dpkg -P "$pkg" >/dev/null
check "dpkg -i installs it" dpkg -i "$deb"
files=$(dpkg -L "$pkg" | while read -r f; do [ -f "$f" ] && echo "$f"; done)
check "desktop entry is valid" desktop-file-validate /usr/share/applications/Paydesk.desktop
check "paydesk --version on PATH says $version" test "$(env -i PATH=/usr/bin:/bin paydesk --version)" = "paydesk $version"

# First start of the installed app as a new user: no home, no machine key.
user_home=$(mktemp -d)
run_app() {  # run_app NAME COMMAND… : start under Xvfb, wait for the window, screenshot, stop
  local name=$1; shift
  HOME="$user_home" XDG_DATA_HOME="$user_home/.local/share" XDG_CONFIG_HOME="$user_home/.config" \
    xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
      "$@" >"'"$shots/$name"'.log" 2>&1 &
      app=$!
      for _ in $(seq 150); do xdotool search --name "^Paydesk" >/dev/null 2>&1 && break; sleep 0.2; done
      sleep 4
      import -window root "'"$shots/$name"'.png"
      alive=0; kill -0 $app 2>/dev/null && alive=1
      xdotool search --name "^Paydesk" >/dev/null 2>&1 || alive=0
      kill $app 2>/dev/null; wait $app 2>/dev/null
      exit $((1 - alive))' _ "$@"
}
check "installed app starts on a new PC (window up; $shots/deb-first-start.png)" run_app deb-first-start /usr/bin/paydesk-app
check "first start created the home's book" test -f "$user_home/.local/share/paydesk/paydesk.db"
check "the screenshot is not blank" test "$(/usr/bin/convert "$shots/deb-first-start.png" -format '%[fx:standard_deviation>0.05]' info:)" = 1

check "dpkg -P removes it" dpkg -P "$pkg"
left=$(for f in $files; do [ -e "$f" ] && echo "$f"; done)
check "no file of the package is left behind" test -z "$left"
[ -n "$left" ] && echo "$left"
check "paydesk is gone from PATH" bash -c '! command -v paydesk-app && ! test -e /usr/bin/paydesk'

echo "== $image"
rm -rf "$user_home" && user_home=$(mktemp -d)
# Without FUSE (no /dev/fuse in containers, or no libfuse2) the runtime extracts itself and runs:
# what the docs tell such users to do. It extracts under $TMPDIR and cleans up only when the app
# exits by itself, so the test gives it a folder of its own and removes that (the app it started
# is stopped, not closed: each run left ~350 MB in /tmp).
appimage_tmp=$(mktemp -d)
export TMPDIR=$appimage_tmp
if [ ! -e /dev/fuse ] || ! /sbin/ldconfig -p | grep -q 'libfuse\.so\.2'; then export APPIMAGE_EXTRACT_AND_RUN=1; fi
check "AppImage's paydesk CLI says $version" test "$("$image" paydesk --version)" = "paydesk $version"
check "AppImage starts (window up; $shots/appimage-first-start.png)" run_app appimage-first-start "$image"
check "the AppImage's screenshot is not blank" test "$(/usr/bin/convert "$shots/appimage-first-start.png" -format '%[fx:standard_deviation>0.05]' info:)" = 1
check "the AppImage's demo finds its bundled demo keys" run_app appimage-demo "$image" --demo
rm -rf "$user_home" "$appimage_tmp"
echo "package-test: $pass passed, $fail failed"
[ "$fail" = 0 ]
