#!/usr/bin/env bash
# The API over TLS with a throwaway self-signed certificate: the same answers, limits and
# keep-alive as plain HTTP; plain HTTP, old protocol versions and silent clients on the
# TLS port fail alone and are logged; SIGHUP serves a rotated certificate (checked by its
# fingerprint) and keeps the current one when the new files are bad; an intermediate CA's
# chain is sent; a silent client does not hold up a stop; bad TLS settings are one-line
# config errors (exit 2); a key readable by others and a certificate about to expire
# are warnings.
source "$(dirname "$0")/lib.sh"

# make_cert NAME [DAYS]: NAME.crt and NAME.key (EC P-256) for 127.0.0.1 and localhost,
# valid for 30 days by default. DAYS -1 gives a certificate that expired yesterday.
make_cert() {
  local name=$1 days=${2:-30}
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$SCRATCH/$name.key" 2>/dev/null
  chmod 600 "$SCRATCH/$name.key"
  openssl req -new -key "$SCRATCH/$name.key" -subj "/CN=tideway-test-$name" -out "$SCRATCH/$name.csr"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$SCRATCH/$name.ext"
  openssl x509 -req -in "$SCRATCH/$name.csr" -signkey "$SCRATCH/$name.key" -days "$days" \
    -extfile "$SCRATCH/$name.ext" -out "$SCRATCH/$name.crt" 2>/dev/null
}
fingerprint_of_file() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//'; }
# The fingerprint of the certificate the daemon serves right now.
served_fingerprint() {
  openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha256 | sed 's/^.*=//'
}

make_cert a
make_cert b
make_cert other
cp "$SCRATCH/a.crt" "$SCRATCH/server.crt"
cp "$SCRATCH/a.key" "$SCRATCH/server.key"
chmod 600 "$SCRATCH/server.key"

port=$(free_port)
write_config "$port" "api: {tls: {cert_file: $SCRATCH/server.crt, key_file: $SCRATCH/server.key}}
http: {max_body_bytes: 4096, max_header_bytes: 2048, idle_timeout_seconds: 2}"
SCHEME=https
CURL_TLS=(--cacert "$SCRATCH/a.crt")
start_daemon

expect_eq "healthz over TLS" '200 {"status":"ok"}' "$(call GET /healthz)"
expect_eq "tasks without token" '401 {"error":{"code":"unauthorized","message":"missing bearer token: send '"'"'Authorization: Bearer <token>'"'"'"}}' "$(call GET /v1/tasks)"
expect_eq "tasks with token" '200 {"tasks":[]}' "$(call GET /v1/tasks "${AUTH[@]}")"
head -c 10000 /dev/zero > "$SCRATCH/big"
expect_eq "oversized body over TLS" '413 {"error":{"code":"payload_too_large","message":"request body exceeds 4096 bytes"}}' \
  "$(call POST /v1/tasks "${AUTH[@]}" --data-binary @"$SCRATCH/big")"
expect_eq "oversized headers over TLS" '431 {"error":{"code":"header_fields_too_large","message":"request headers exceed 2048 bytes"}}' \
  "$(call GET /v1/version "${AUTH[@]}" -H "X-Big: $(head -c 3000 /dev/zero | tr '\0' a)")"
expect_eq "malformed JSON over TLS is the router's 400" "400" \
  "$(call POST /v1/tasks "${AUTH[@]}" -H 'Content-Type: application/json' --data '{nope' | head -c 3)"
conns=$(curl -s "${CURL_TLS[@]}" -o /dev/null -o /dev/null -w '%{num_connects}\n' "$BASE/healthz" "$BASE/healthz" | awk '{s += $1} END {print s}')
expect_eq "keep-alive reuses the TLS connection" 1 "$conns"
expect_eq "the served certificate is the configured one" "$(fingerprint_of_file "$SCRATCH/a.crt")" "$(served_fingerprint)"

# TLS 1.2 and 1.3 are served; 1.1 is refused by the server (the client is told to allow
# it, so only the server can be the one saying no).
for v in tls1_2 tls1_3; do
  if openssl s_client -connect "127.0.0.1:$port" "-$v" </dev/null >/dev/null 2>&1; then pass "$v accepted"; else fail "$v refused"; fi
done
if openssl s_client -connect "127.0.0.1:$port" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null >"$SCRATCH/tls11.out" 2>&1; then
  fail "TLS 1.1 handshake succeeded"
fi
expect_contains "TLS 1.1 refused with a protocol alert" "protocol version" "$(cat "$SCRATCH/tls11.out")"

# Plain HTTP on the TLS port: that request gets a clear-text JSON 400 saying to use
# HTTPS, and the next TLS request does not notice.
plain=$(curl -s -o "$SCRATCH/plain.body" -w '%{http_code}' "http://127.0.0.1:$port/v1/tasks" "${AUTH[@]}"; echo " $(cat "$SCRATCH/plain.body")")
expect_eq "plain HTTP on the TLS port" '400 {"error":{"code":"bad_request","message":"this port speaks HTTPS; send the request to https://"}}' "$plain"
expect_eq "next TLS request after plain HTTP" '200 {"status":"ok"}' "$(call GET /healthz)"
for _ in $(seq 1 50); do grep -q 'plain HTTP request on the TLS port' "$SCRATCH/daemon.log" && break; sleep 0.1; done
expect_eq "plain HTTP logged once with the peer" 1 \
  "$(grep -c 'level=info component=http msg="plain HTTP request on the TLS port" peer=127.0.0.1:[0-9]*$' "$SCRATCH/daemon.log")"
# A ClientHello record that is all zeros inside: a failed handshake, logged once with
# the peer and OpenSSL's reason, and the next TLS request does not notice.
failed_handshakes() { grep -c 'level=info component=http msg="TLS handshake failed" peer=127.0.0.1:[0-9]* error=' "$SCRATCH/daemon.log" || true; }
before=$(failed_handshakes)
{ printf '\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03'; head -c 42 /dev/zero; } > "$SCRATCH/bad-hello"
exec 3<>"/dev/tcp/127.0.0.1/$port"
cat "$SCRATCH/bad-hello" >&3
timeout 10 cat <&3 >/dev/null || true
exec 3>&-
expect_eq "TLS request after a broken handshake" '200 {"status":"ok"}' "$(call GET /healthz)"
for _ in $(seq 1 50); do [ "$(failed_handshakes)" -gt "$before" ] && break; sleep 0.1; done
expect_eq "broken handshake logged once" $((before + 1)) "$(failed_handshakes)"
last=$(grep 'msg="TLS handshake failed"' "$SCRATCH/daemon.log" | tail -1)
case "$last" in *timeout*) fail "broken handshake was only cut by the timeout: $last" ;; esac
pass "broken handshake refused by OpenSSL, not by the timeout: ${last##*error=}"
expect_eq "plain HTTP still logged once: the broken hello was taken for TLS" 1 \
  "$(grep -c 'msg="plain HTTP request on the TLS port"' "$SCRATCH/daemon.log")"

# A client that connects and never shakes hands holds nothing up, and is cut at the
# idle timeout (2 s here).
exec 3<>"/dev/tcp/127.0.0.1/$port"
expect_eq "TLS request while a silent client is connected" '200 {"status":"ok"}' "$(call GET /healthz)"
if timeout 10 cat <&3 >/dev/null; then pass "silent client closed by the server"; else fail "silent client still connected after 10 s"; fi
exec 3>&-
expect_contains "silent client logged" 'error="The socket was closed due to a timeout"' \
  "$(grep 'msg="TLS handshake failed"' "$SCRATCH/daemon.log" | tail -1)"

# Rotation: new files in place, SIGHUP, and new connections get the new certificate.
cp "$SCRATCH/b.crt" "$SCRATCH/server.crt.new" && mv "$SCRATCH/server.crt.new" "$SCRATCH/server.crt"
cp "$SCRATCH/b.key" "$SCRATCH/server.key.new" && chmod 600 "$SCRATCH/server.key.new" && mv "$SCRATCH/server.key.new" "$SCRATCH/server.key"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do grep -q 'msg=reloaded' "$SCRATCH/daemon.log" && break; sleep 0.1; done
fp_b=$(fingerprint_of_file "$SCRATCH/b.crt")
expect_contains "reload logs the new certificate" "msg=\"TLS certificate reloaded\" cert_file=$SCRATCH/server.crt key_file=$SCRATCH/server.key subject=\"CN=tideway-test-b\"" "$(cat "$SCRATCH/daemon.log")"
expect_contains "reload logs the new fingerprint" "sha256=$fp_b" "$(cat "$SCRATCH/daemon.log")"
expect_eq "after SIGHUP the new certificate is served" "$fp_b" "$(served_fingerprint)"
CURL_TLS=(--cacert "$SCRATCH/b.crt")
expect_eq "clients trusting the new certificate get in" '200 {"tasks":[]}' "$(call GET /v1/tasks "${AUTH[@]}")"
set +e
curl -s -o /dev/null --cacert "$SCRATCH/a.crt" "$BASE/healthz"; old_rc=$?
set -e
expect_eq "clients trusting only the old certificate are refused (curl: peer certificate)" 60 "$old_rc"

# A bad rotation (key of another certificate) is a failed reload: the current one stays.
cp "$SCRATCH/other.key" "$SCRATCH/server.key"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do grep -q 'reload failed' "$SCRATCH/daemon.log" && break; sleep 0.1; done
expect_contains "mismatched key on reload is reported" "api.tls.key_file: the private key in $SCRATCH/server.key does not match the certificate in $SCRATCH/server.crt" "$(cat "$SCRATCH/daemon.log")"
expect_eq "still serving the last good certificate" "$fp_b" "$(served_fingerprint)"
expect_eq "and still answering" '200 {"status":"ok"}' "$(call GET /healthz)"
expect_contains "failed reload counted" 'tideway_config_reloads_total{result="failed"} 1' \
  "$(curl -s "${CURL_TLS[@]}" "${AUTH[@]}" "$BASE/metrics")"

if grep -q "$TOKEN" "$SCRATCH/daemon.log"; then fail "token leaked into the log"; fi
pass "token not in the log"
stop_daemon
expect_eq "TLS daemon stops cleanly" 0 "$STOP_RC"

# A certificate issued by an intermediate CA: cert_file holds the chain, and a client that
# trusts only the root gets in, which it can only if the intermediate is sent along.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=tideway-test-root" \
  -days 30 -keyout "$SCRATCH/root.key" -out "$SCRATCH/root.crt" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$SCRATCH/ca.ext"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=tideway-test-intermediate" \
  -keyout "$SCRATCH/inter.key" -out "$SCRATCH/inter.csr" 2>/dev/null
openssl x509 -req -in "$SCRATCH/inter.csr" -CA "$SCRATCH/root.crt" -CAkey "$SCRATCH/root.key" \
  -CAcreateserial -days 30 -extfile "$SCRATCH/ca.ext" -out "$SCRATCH/inter.crt" 2>/dev/null
openssl req -new -key "$SCRATCH/a.key" -subj "/CN=tideway-test-leaf" -out "$SCRATCH/leaf.csr"
openssl x509 -req -in "$SCRATCH/leaf.csr" -CA "$SCRATCH/inter.crt" -CAkey "$SCRATCH/inter.key" \
  -CAcreateserial -days 30 -extfile "$SCRATCH/a.ext" -out "$SCRATCH/leaf.crt" 2>/dev/null
cat "$SCRATCH/leaf.crt" "$SCRATCH/inter.crt" > "$SCRATCH/chain.crt"
write_config "$port" "api: {tls: {cert_file: $SCRATCH/chain.crt, key_file: $SCRATCH/a.key}}
http: {idle_timeout_seconds: 60}"
CURL_TLS=(--cacert "$SCRATCH/root.crt")
start_daemon
expect_eq "a client trusting only the root CA gets in" '200 {"tasks":[]}' "$(call GET /v1/tasks "${AUTH[@]}")"
expect_eq "the server sends leaf and intermediate" 2 \
  "$(openssl s_client -connect "127.0.0.1:$port" -showcerts </dev/null 2>/dev/null | grep -c 'BEGIN CERTIFICATE')"

# A client stuck before its handshake does not hold up a stop: with a 60 s idle timeout
# and a 10 s shutdown timeout, the daemon must close it at once instead of timing out.
exec 3<>"/dev/tcp/127.0.0.1/$port"
expect_eq "answering with a silent client connected" '200 {"status":"ok"}' "$(call GET /healthz)"
stop_daemon
exec 3>&-
expect_eq "stop with a silent client exits 0" 0 "$STOP_RC"
if grep -q 'shutdown timeout reached' "$SCRATCH/daemon.log"; then fail "stop waited for the silent client"; fi
pass "stop did not wait for the silent client"

# Configuration errors: exit 2 and one line naming file, position, key and file.
cfg="$SCRATCH/tideway.yaml"
check_tls() {  # check_tls YAML_LINES...: --check-config with these lines under api.tls
  local lines="api:
  tls:" l
  for l in "$@"; do lines="$lines
    $l"; done
  [ $# -gt 0 ] || lines="$lines {}"
  write_config "$port" "$lines"
  set +e
  OUT=$("$TIDEWAY_BIN" serve --config "$cfg" --check-config 2>&1)
  RC=$?
  set -e
}
expect_error() {  # expect_error WHAT MESSAGE
  expect_eq "$1: exit code" 2 "$RC"
  expect_eq "$1: one line" 1 "$(printf '%s\n' "$OUT" | wc -l)"
  expect_eq "$1: message" "tideway: config error: $cfg:$2" "$OUT"
}
# Lines 6-9 of the config: "api:", "  tls:", "    cert_file: ...", "    key_file: ...".
check_tls "cert_file: $SCRATCH/a.crt" "key_file: $SCRATCH/missing.key"
expect_error "missing key file" "9:15: api.tls.key_file: cannot read $SCRATCH/missing.key: No such file or directory"
check_tls "cert_file: $SCRATCH/a.crt"
expect_error "cert without key" "8:5: api.tls.key_file: is missing; expected the PEM private key of cert_file (cert_file and key_file come together)"
check_tls "key_file: $SCRATCH/a.key"
expect_error "key without cert" "8:5: api.tls.cert_file: is missing; expected the PEM certificate chain that goes with key_file (cert_file and key_file come together)"
check_tls "cert_file: $SCRATCH/a.crt" "key_file: $SCRATCH/b.key"
expect_error "mismatched key" "9:15: api.tls.key_file: the private key in $SCRATCH/b.key does not match the certificate in $SCRATCH/a.crt; expected the key the certificate was issued for"
check_tls "cert_file: $SCRATCH/missing.crt" "key_file: $SCRATCH/a.key"
expect_error "missing certificate file" "8:16: api.tls.cert_file: cannot read $SCRATCH/missing.crt: No such file or directory"
make_cert expired -1
not_after=$(date -u -d "$(openssl x509 -in "$SCRATCH/expired.crt" -noout -enddate | sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ)
check_tls "cert_file: $SCRATCH/expired.crt" "key_file: $SCRATCH/expired.key"
expect_error "expired certificate" "8:16: api.tls.cert_file: the certificate in $SCRATCH/expired.crt expired at $not_after; expected a current certificate (renew it, then reload)"
check_tls "cert_file: $SCRATCH/a.key" "key_file: $SCRATCH/a.key"
expect_error "a key given as certificate" "8:16: api.tls.cert_file: cannot load a certificate from $SCRATCH/a.key: the file has no PEM certificate block; expected a PEM certificate chain (-----BEGIN CERTIFICATE-----), the server's certificate first"
check_tls "cert_file: $SCRATCH/a.crt" "key_file: $SCRATCH/a.crt"
expect_error "a certificate given as key" "9:15: api.tls.key_file: cannot load a private key from $SCRATCH/a.crt: the file has no PEM private key block; expected an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)"
check_tls "cert_file: $SCRATCH/a.crt" "key_file: $SCRATCH"
expect_error "key path is a directory" "9:15: api.tls.key_file: $SCRATCH is not a regular file"
openssl pkey -in "$SCRATCH/a.key" -aes256 -passout pass:secret-phrase -out "$SCRATCH/encrypted.key"
chmod 600 "$SCRATCH/encrypted.key"
check_tls "cert_file: $SCRATCH/a.crt" "key_file: $SCRATCH/encrypted.key"
expect_error "encrypted key" "9:15: api.tls.key_file: the private key in $SCRATCH/encrypted.key is encrypted and the daemon cannot ask for a passphrase; expected an unencrypted PEM key (\`openssl pkey -in ENCRYPTED.pem -out $SCRATCH/encrypted.key\`, mode 600)"
check_tls
expect_error "empty tls mapping" "7:8: api.tls: has neither cert_file nor key_file; expected both (PEM files), or no tls mapping for plain HTTP"
check_tls "cert: $SCRATCH/a.crt"
expect_error "unknown tls key" "8:5: api.tls.cert: unknown key; expected one of: cert_file, key_file"

# The real start fails the same way, before binding.
write_config "$port" "api: {tls: {cert_file: $SCRATCH/a.crt}}"
set +e
OUT=$("$TIDEWAY_BIN" serve --config "$cfg" 2>&1); RC=$?
set -e
expect_eq "serve with cert but no key exits 2" 2 "$RC"
expect_contains "serve names the key" "api.tls.key_file: is missing" "$OUT"

# A key file others can read: valid, with a warning naming the file and its mode.
chmod 644 "$SCRATCH/a.key"
check_tls "cert_file: $SCRATCH/a.crt" "key_file: $SCRATCH/a.key"
expect_eq "key readable by others is still valid" 0 "$RC"
expect_contains "key readable by others warns" "level=warn component=config msg=\"TLS private key file is readable by others; restrict it with chmod 600 (or 640, owned by root, with the service's group)\" config=$cfg key=api.tls.key_file file=$SCRATCH/a.key permissions=\"mode 0644\"" "$OUT"
chmod 600 "$SCRATCH/a.key"
check_tls "cert_file: $SCRATCH/a.crt" "key_file: $SCRATCH/a.key"
expect_eq "key mode 600: valid, no warning" "config $cfg is valid" "$OUT"

# A certificate in its last two weeks: valid, with a warning saying when it ends.
make_cert soon 3
soon_after=$(date -u -d "$(openssl x509 -in "$SCRATCH/soon.crt" -noout -enddate | sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ)
check_tls "cert_file: $SCRATCH/soon.crt" "key_file: $SCRATCH/soon.key"
expect_eq "certificate expiring soon is still valid" 0 "$RC"
expect_contains "certificate expiring soon warns" "level=warn component=config msg=\"TLS certificate expires soon; renew it, then reload\" config=$cfg key=api.tls.cert_file file=$SCRATCH/soon.crt not_after=$soon_after days_left=2" "$OUT"
finish
