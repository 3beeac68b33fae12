#!/usr/bin/env bash
# Regenerates the demo certificates of Alipay's certificate (公钥证书) mode, for the simulator and
# tests. NOT real Alipay certificates. Uses the demo keys one folder up:
#   appCertPublicKey.crt          app certificate for merchant_public.pem   (app_cert_file)
#   alipayCertPublicKey_RSA2.crt  "Alipay" certificate for gateway_public.pem (alipay_cert_file)
#   alipayRootCert.crt            root bundle: the RSA demo root + an EC root that the root SN skips
# The CA keys are throwaway (never written to the repository).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
days=7300

openssl genrsa -out "$tmp/root.key" 2048 2>/dev/null
openssl req -x509 -new -key "$tmp/root.key" -sha256 -days $days -set_serial 0x1fcfa18d6a480d11 \
  -subj "/C=CN/O=Paydesk Demo/OU=Certification Authority/CN=Paydesk Demo Alipay Root CA R1" -out "$tmp/root.crt"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ec.key"
openssl req -x509 -new -key "$tmp/ec.key" -sha256 -days $days -set_serial 0x417efa52c07fdf4a \
  -subj "/C=CN/O=Paydesk Demo/OU=Certification Authority/CN=Paydesk Demo Alipay Root CA E1" -out "$tmp/ec.crt"

# A throwaway request key: the certificate's public key is forced to the demo key below.
openssl genrsa -out "$tmp/req.key" 2048 2>/dev/null
leaf() { # $1 public key file, $2 subject, $3 serial, $4 output
  openssl req -new -key "$tmp/req.key" -subj "$2" -utf8 -out "$tmp/req.csr"
  openssl x509 -req -in "$tmp/req.csr" -force_pubkey "$1" -CA "$tmp/root.crt" -CAkey "$tmp/root.key" \
    -set_serial "$3" -days $days -sha256 -out "$4" 2>/dev/null
}
leaf ../merchant_public.pem "/C=CN/O=Paydesk Demo Shop/OU=Alipay/CN=2088000122671080-2021000122671080" 0x202005186203904d4090897ba4d51c21 appCertPublicKey.crt
leaf ../gateway_public.pem "/C=CN/O=Paydesk Demo Gateway/OU=Alipay/CN=支付宝(中国)网络技术有限公司-2088000122671080" 0x20200514e63c2fe04d538716fe21358b alipayCertPublicKey_RSA2.crt
cat "$tmp/ec.crt" "$tmp/root.crt" > alipayRootCert.crt
echo "written: appCertPublicKey.crt alipayCertPublicKey_RSA2.crt alipayRootCert.crt"
