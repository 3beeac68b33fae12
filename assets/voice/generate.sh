#!/usr/bin/env bash
# Makes the announcement clips in zh/ and en/ (16 kHz mono 16-bit WAV, silence trimmed).
# Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox). The clips are committed;
# run this only to change them. Usage: assets/voice/generate.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
clip() { # lang-dir voice speed name text
  espeak-ng -v "$2" -s "$3" -w "$tmp/raw.wav" "$5"
  sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$1/$4.wav" silence 1 0.01 1% reverse silence 1 0.01 1% reverse gain -n -1
}
mkdir -p zh en
zh=(0 零 1 一 2 二 3 三 4 四 5 五 6 六 7 七 8 八 9 九 10 十 100 百 1000 千 10000 万 100000000 亿 point 点 yuan 元
    alipay 支付宝到账 wechat 微信到账 unionpay 云闪付到账 ecny 数字人民币到账 sandbox 收款到账)
for ((i = 0; i < ${#zh[@]}; i += 2)); do clip zh cmn 190 "${zh[i]}" "${zh[i+1]}"; done
en=(0 zero 1 one 2 two 3 three 4 four 5 five 6 six 7 seven 8 eight 9 nine 10 ten 11 eleven 12 twelve 13 thirteen
    14 fourteen 15 fifteen 16 sixteen 17 seventeen 18 eighteen 19 nineteen 20 twenty 30 thirty 40 forty 50 fifty
    60 sixty 70 seventy 80 eighty 90 ninety hundred hundred thousand thousand million million point point yuan yuan
    alipay "Alipay received" wechat "WeChat Pay received" unionpay "UnionPay received" ecny "e C N Y received"
    sandbox "Payment received")
for ((i = 0; i < ${#en[@]}; i += 2)); do clip en en-us 175 "${en[i]}" "${en[i+1]}"; done
du -sh zh en
