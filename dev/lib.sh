# dev/lib.sh - shared by dev/up, dev/check and dev/down: install what is
# missing, build, and start/stop each service by its PID. Sourced, not run.
# There is no systemd here: every service is started by hand and stopped
# by the PID it left behind.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin

# Debian packages the build, the tests and the dev stack need.
PACKAGES="build-essential autoconf automake libtool pkg-config \
	libfcgi-dev libpq-dev libjson-c-dev libcurl4-openssl-dev libssl-dev \
	libsystemd-dev libcjose-dev libjansson-dev libunistring-dev libidn2-dev \
	libxml2-dev libyajl-dev libarchive-dev \
	check postgresql-15 postgresql-client-15 postgresql nginx \
	systemd procps curl wrk clang libclang-rt-14-dev valgrind python3-aiosmtpd \
	debhelper dpkg-dev lintian mandoc openssl chromium fonts-dejavu-core prometheus"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
	    die "apt-get update failed"
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null ||
	    die "apt-get install failed"
}

# Node.js for the test peers (tests/peers: oidc-provider, pinned in its
# lockfile), installed with npm ci when the lockfile changed.
install_peers() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
		say "installing nodejs"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    nodejs npm >/dev/null 2>&1 ||
		    as_root env DEBIAN_FRONTEND=noninteractive apt-get install \
		    -y -qq nodejs >/dev/null || die "cannot install nodejs"
	}
	peers=$ROOT/tests/peers
	if [ ! -f "$peers/node_modules/.package-lock.json" ] ||
	    ! cmp -s "$peers/package-lock.json" "$peers/node_modules/.stamp"; then
		say "npm ci (tests/peers)"
		(cd "$peers" && npm ci --no-audit --no-fund --loglevel=error) \
		    >/dev/null || die "npm ci failed in tests/peers"
		cp "$peers/package-lock.json" "$peers/node_modules/.stamp"
	fi
	export PASSION_TEST_PEERS="$peers"
}

# build DIR [configure flags...]: configure DIR once per flag set
# (out of tree, so several variants can coexist), then make.
build() {
	dir=$1; shift
	(cd "$ROOT" && { [ -x configure ] || { say "autoreconf";
	    autoreconf -fi >/dev/null 2>&1; }; }) || die "autoreconf failed"
	mkdir -p "$dir"
	flags="$*"
	if [ ! -f "$dir/Makefile" ] ||
	    [ "$(cat "$dir/.configured" 2>/dev/null)" != "$flags" ]; then
		say "configure $flags (in $dir)"
		# shellcheck disable=SC2086
		(cd "$dir" && "$ROOT/configure" -q $flags) ||
		    die "configure failed"
		echo "$flags" > "$dir/.configured"
	fi
	say "make (in $dir)"
	(cd "$dir" && make -s -j"$(nproc)" all >/dev/null) ||
	    (cd "$dir" && make -j1 all) || die "build failed"
}

# Run a command as the postgres user when we are root (initdb refuses root).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_su() {
	var=$1 db=$2; shift 2
	psql -X -q -v ON_ERROR_STOP=1 -h "$var/run" -U postgres -d "$db" "$@"
}

# dev_var: the dev stack's directory (PASSION_DEV_VAR, default var/dev).
dev_var() {
	pg_var "${PASSION_DEV_VAR:-$ROOT/var/dev}" passion-dev
}

# pg_var DIR NAME: DIR if the postgres user can reach it (initdb runs as
# postgres), else /tmp/NAME: a clone under a private home still works.
pg_var() {
	mkdir -p "$1"
	if [ "$(id -u)" -ne 0 ] ||
	    runuser -u postgres -- test -x "$1" 2>/dev/null; then
		(cd "$1" && pwd)
	else
		mkdir -p "/tmp/$2"
		echo "/tmp/$2"
	fi
}

# pg_start VAR: a cluster in VAR/pg, socket in VAR/run, and the two roles.
pg_start() {
	var=$1
	mkdir -p "$var/run" "$var/pg"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$var/run" "$var/pg"
	if [ ! -f "$var/pg/PG_VERSION" ]; then
		say "initdb $var/pg"
		as_pg "$PGBIN/initdb" -D "$var/pg" -U postgres --auth=trust \
		    -E UTF8 --locale=C.UTF-8 >/dev/null || die "initdb failed"
	fi
	touch "$var/pg.log"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$var/pg.log"
	if ! as_pg "$PGBIN/pg_ctl" -D "$var/pg" status >/dev/null 2>&1; then
		say "start PostgreSQL (socket in $var/run)"
		as_pg "$PGBIN/pg_ctl" -D "$var/pg" -l "$var/pg.log" -w -t 60 \
		    -o "-k $var/run -c listen_addresses=''" start >/dev/null ||
		    { cat "$var/pg.log"; die "PostgreSQL did not start"; }
	fi
	# The roles of docs/database.md: the owner runs migrations, the
	# runtime role passion_app owns nothing and bypasses nothing, the
	# backup role reads every row and acts as the owner.
	psql_su "$var" postgres >/dev/null <<'SQL' || die "creating roles failed"
SELECT 'CREATE ROLE passion_owner LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'passion_owner')\gexec
SELECT 'CREATE ROLE passion_app LOGIN NOSUPERUSER NOBYPASSRLS'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'passion_app')\gexec
SELECT 'CREATE ROLE passion_backup LOGIN BYPASSRLS IN ROLE passion_owner'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'passion_backup')\gexec
SQL
}

# db_create VAR NAME: a database owned by passion_owner, if missing.
db_create() {
	psql_su "$1" postgres >/dev/null <<SQL || die "createdb $2 failed"
SELECT 'CREATE DATABASE $2 OWNER passion_owner'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$2')\gexec
SQL
}

pg_stop() {
	var=$1
	[ -f "$var/pg/postmaster.pid" ] || return 0
	say "stop PostgreSQL"
	as_pg "$PGBIN/pg_ctl" -D "$var/pg" -m fast -w stop >/dev/null 2>&1 || true
}

# write_conf VAR [PORT]: the dev passiond.conf (trust auth on a private
# socket, the local OIDC provider and SMTP sink of dev/up, a generated key).
write_conf() {
	var=$1 port=${2:-8080}
	[ -s "$var/secret_key" ] || {
		umask 077
		head -c 48 /dev/urandom | base64 > "$var/secret_key"
		umask 022
	}
	# The local provider (start_peers) is handed this same file.
	[ -s "$var/client_secret" ] || echo "passiond-secret" > "$var/client_secret"
	cat > "$var/passiond.conf" <<CONF
# Written by dev/lib.sh for the local stack; see docs/operations.md.
listen = unix:$var/passiond.sock
status_listen = unix:$var/status.sock
socket_mode = 0666
workers = 2
database_url = host=$var/run dbname=passion user=passion_app
migrate_database_url = host=$var/run dbname=passion user=passion_owner
backup_database_url = host=$var/run dbname=passion user=passion_backup
log_file = $var/passiond.log
public_origin = http://127.0.0.1:$port
secret_key_file = $var/secret_key
oidc.local.name = Local test provider
oidc.local.issuer = http://127.0.0.1:$DEV_OIDC_PORT
oidc.local.client_id = passiond
oidc.local.client_secret_file = $var/client_secret
smtp_url = smtp://127.0.0.1:$DEV_SMTP_PORT
smtp_from = signin@passion.localhost
smtp_tls = none
storage_endpoint = http://127.0.0.1:$DEV_S3_PORT
storage_bucket = passion
storage_access_key_id = S3RVER
storage_secret_file = $var/s3_secret
CONF
	# Settings of your own for the local stack (and the browser tests'),
	# kept across dev/up: VAR/passiond.local.conf, read after the rest.
	[ -f "$var/passiond.local.conf" ] &&
	    cat "$var/passiond.local.conf" >> "$var/passiond.conf"
	# The local S3 server's fixed key (start_peers).
	[ -s "$var/s3_secret" ] || echo "S3RVER" > "$var/s3_secret"
}

DEV_OIDC_PORT=${PASSION_OIDC_PORT:-9400}
DEV_SMTP_PORT=${PASSION_SMTP_PORT:-2525}
DEV_S3_PORT=${PASSION_S3_PORT:-9000}

# start_peers VAR PORT: oidc-provider and aiosmtpd for signing in locally,
# and a local S3 server (s3rver) for the bucket.
start_peers() {
	var=$1 port=$2
	if ! running "$var/oidc.pid"; then
		say "start the local OpenID provider on 127.0.0.1:$DEV_OIDC_PORT"
		start_bg "$var/oidc.pid" "$var/oidc.log" env \
		    OIDC_CLIENT_SECRET="$(cat "$var/client_secret")" node \
		    "$PASSION_TEST_PEERS/oidc.mjs" "$DEV_OIDC_PORT" \
		    "http://127.0.0.1:$port/api/auth/callback/local"
	fi
	if ! running "$var/smtp.pid"; then
		say "start the SMTP sink on 127.0.0.1:$DEV_SMTP_PORT (mail in $var/mail)"
		rm -rf "$var/mail"	# aiosmtpd makes its maildir itself
		start_bg "$var/smtp.pid" "$var/smtp.log" /usr/bin/python3 -m \
		    aiosmtpd -n -l "127.0.0.1:$DEV_SMTP_PORT" \
		    -c aiosmtpd.handlers.Mailbox "$var/mail"
	fi
	if ! running "$var/s3.pid"; then
		say "start the local S3 server on 127.0.0.1:$DEV_S3_PORT (objects in $var/s3)"
		mkdir -p "$var/s3"
		start_bg "$var/s3.pid" "$var/s3.log" node \
		    "$PASSION_TEST_PEERS/s3.mjs" "$DEV_S3_PORT" "$var/s3" passion \
		    "http://127.0.0.1:$port"
	fi
	wait_port "$DEV_S3_PORT" ||
	    die "the local S3 server did not start; see $var/s3.log"
	wait_http "http://127.0.0.1:$DEV_OIDC_PORT/.well-known/openid-configuration" ||
	    die "the local OpenID provider did not start; see $var/oidc.log"
	wait_port "$DEV_SMTP_PORT" ||
	    die "the SMTP sink did not start; see $var/smtp.log"
}

# start_bg PIDFILE LOG CMD...: start in the background, remember its PID.
start_bg() {
	pidfile=$1 log=$2; shift 2
	"$@" >>"$log" 2>&1 &
	echo $! > "$pidfile"
}

running() {
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop_pidfile() {
	pidfile=$1
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

wait_http() {
	url=$1 i=0
	while [ $i -lt 100 ]; do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
