#!/usr/bin/env bash
# Rebuilds NotoSansSC-Paydesk.otf: Noto Sans CJK SC Regular (Debian's fonts-noto-cjk), cut down to
# ASCII, Latin-1, general + CJK punctuation, full-width forms, a few symbols used in charts, and the
# 6,763 hanzi of GB2312 — enough for every label Paydesk draws, a few MB instead of 16.
# Needs: fonts-noto-cjk (apt) and fonttools (pip install fonttools==4.68.0).
set -euo pipefail
cd "$(dirname "$0")"
SRC=${SRC:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}
python3 - > chars.txt <<'PY'
chars = set()
for lo, hi in [(0x20, 0x7e), (0xa0, 0xff), (0x2010, 0x2027), (0x2030, 0x203a), (0x2190, 0x2193),
               (0x2212, 0x2212), (0x25b2, 0x25bc), (0x3000, 0x303f), (0xff01, 0xff5e), (0xffe0, 0xffe5)]:
    chars.update(range(lo, hi + 1))
for b1 in range(0xb0, 0xf8):          # GB2312 level 1 + 2 hanzi
    for b2 in range(0xa1, 0xff):
        try:
            chars.add(ord(bytes([b1, b2]).decode('gb2312')))
        except UnicodeDecodeError:
            pass
print(','.join('U+%04X' % c for c in sorted(chars)))
PY
pyftsubset "$SRC" --font-number=2 --unicodes-file=chars.txt --layout-features='kern,palt,vert' \
  --name-IDs='*' --name-languages='*' --no-hinting --desubroutinize --output-file=NotoSansSC-Paydesk.otf
rm chars.txt
ls -l NotoSansSC-Paydesk.otf
