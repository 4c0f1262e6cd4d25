# private-stack.sh - sourced (after ROOT and NAME are set) by the tests
# that run dev/up's own stack: tests/dev/readme-signin.sh and
# tests/browser/run. A private directory $tmp (the stack's in $tmp/dev),
# a free port for nginx, the OpenID provider, the SMTP sink and the S3
# server, exported for dev/up, dev/mail and dev/down; $BASE the site; at
# exit the stack stopped and the directory removed.
free_port() {
	python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tmp=$(mktemp -d "/tmp/passion-$NAME.XXXXXX")
chmod 755 "$tmp"	# the postgres user runs initdb in here
PASSION_DEV_VAR=$tmp/dev
PASSION_PORT=$(free_port)
PASSION_OIDC_PORT=$(free_port)
PASSION_SMTP_PORT=$(free_port)
PASSION_S3_PORT=$(free_port)
export PASSION_DEV_VAR PASSION_PORT PASSION_OIDC_PORT PASSION_SMTP_PORT \
    PASSION_S3_PORT
BASE=http://127.0.0.1:$PASSION_PORT
cleanup() {
	"$ROOT/dev/down" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
