#!/usr/bin/env bash
# Regenerates the demo certificates of the simulated UnionPay (ACP 5.1.0), for the simulator, the
# demo and tests. NOT real UnionPay/CFCA certificates. Uses the demo keys one folder up:
#   acp_sim_root.cer        root CA                      (root_cert_file)
#   acp_sim_middle.cer      intermediate CA               (middle_cert_file)
#   gateway_sign_cert.pem   the simulator's signing cert for gateway_public.pem, CN shaped like
#                           production: 041@…@中国银联股份有限公司@… (sent as signPubKeyCert)
#   merchant_sign_cert.pem  the demo merchant's signing cert for merchant_public.pem (certId = serial)
#   merchant_sign.pfx       the same key + cert as PKCS#12, password 000000 (like acp_test_sign.pfx)
# The CA keys are throwaway (never written to the repository).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
days=36500
cat > "$tmp/ext.cnf" <<'X'
[up_ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[up_leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
subjectKeyIdentifier=hash
X
openssl genrsa -out "$tmp/root.key" 2048 2>/dev/null
openssl req -x509 -new -key "$tmp/root.key" -sha256 -days $days -set_serial 0x5A170001 \
  -subj "/C=CN/O=Paydesk Demo/CN=Paydesk Demo UnionPay Root CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out acp_sim_root.cer
openssl genrsa -out "$tmp/mid.key" 2048 2>/dev/null
openssl req -new -key "$tmp/mid.key" -subj "/C=CN/O=Paydesk Demo/CN=Paydesk Demo UnionPay OCA1" -out "$tmp/mid.csr"
openssl x509 -req -in "$tmp/mid.csr" -CA acp_sim_root.cer -CAkey "$tmp/root.key" -set_serial 0x5A170002 -days $days \
  -sha256 -extfile "$tmp/ext.cnf" -extensions up_ca -out acp_sim_middle.cer 2>/dev/null
openssl genrsa -out "$tmp/req.key" 2048 2>/dev/null
leaf() { # $1 public key file, $2 subject, $3 serial (decimal), $4 output
  openssl req -new -key "$tmp/req.key" -utf8 -subj "$2" -out "$tmp/req.csr"
  openssl x509 -req -in "$tmp/req.csr" -force_pubkey "$1" -CA acp_sim_middle.cer -CAkey "$tmp/mid.key" \
    -set_serial "$3" -days $days -sha256 -extfile "$tmp/ext.cnf" -extensions up_leaf -out "$4" 2>/dev/null
}
leaf ../gateway_public.pem "/C=cn/O=Paydesk Demo/OU=Enterprises/CN=041@8310000000083040@中国银联股份有限公司@00099999" 69900000001 gateway_sign_cert.pem
leaf ../merchant_public.pem "/C=cn/O=Paydesk Demo Shop/OU=Enterprises/CN=041@Z12@777290058165621:SIGN@00000001" 69903319001 merchant_sign_cert.pem
openssl pkcs12 -export -inkey ../merchant_private.pem -in merchant_sign_cert.pem -passout pass:000000 \
  -name paydesk-demo -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -out merchant_sign.pfx
