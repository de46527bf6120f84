#!/bin/sh
# Makes what the agent's integration tests need in DIR: an ECDSA test CA, the broker's certificate
# for 127.0.0.1, and certificates for the terminal's Ed25519 key (CREDENTIALS/terminal.key, written
# by the test) and for the platform's MQTT client.
# Usage: agent-test-certs.sh DIR CREDENTIALS DEVICE-ID
set -eu
dir=$1
credentials=$2
device=$3
cd "$dir"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -subj /CN=agent-test-ca -days 2 -out ca.crt
printf 'subjectAltName=IP:127.0.0.1\n' > broker.ext
for name in broker platform-client; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" 2>/dev/null
done
openssl req -new -key broker.key -subj /CN=127.0.0.1 -out broker.csr
openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile broker.ext -out broker.crt 2>/dev/null
openssl req -new -key platform-client.key -subj /CN=fieldflash-platform -out platform-client.csr
openssl x509 -req -in platform-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -out platform-client.crt 2>/dev/null
openssl req -new -key "$credentials/terminal.key" -subj "/CN=$device" -out terminal.csr
openssl x509 -req -in terminal.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -out "$credentials/terminal.crt" 2>/dev/null
cp ca.crt "$credentials/ca.crt"
