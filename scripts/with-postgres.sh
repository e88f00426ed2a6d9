#!/usr/bin/env bash
# with-postgres.sh runs a command with CHARTER_POSTGRES_URL pointing at a
# PostgreSQL server:
#
#	scripts/with-postgres.sh go test ./...
#
# If CHARTER_POSTGRES_URL is already set, the command runs as is. Otherwise a
# throwaway server is started in a temporary directory on a free port on
# 127.0.0.1 (with fsync off: its data is thrown away), a database is created,
# the command runs, and the server is stopped and its directory removed. The
# exit status is the command's.
#
# When PostgreSQL is not installed and this runs as root, Debian's package is
# installed. When it still cannot be found, the command runs without the URL
# (its PostgreSQL tests skip), except under CI=true, where that is an error.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 command [args...]" >&2
	exit 2
fi

if [[ -n "${CHARTER_POSTGRES_URL:-}" ]]; then
	exec "$@"
fi

log() { echo "with-postgres: $*" >&2; }

# find_bin sets PGBIN to a directory holding initdb, pg_ctl, postgres,
# pg_isready and createdb: the real directory of the initdb on PATH if it has
# them all, else the newest /usr/lib/postgresql/*/bin.
find_bin() {
	PGBIN=""
	local d candidates=()
	if command -v initdb >/dev/null 2>&1; then
		candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		candidates+=("$d")
	done
	for d in "${candidates[@]}"; do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" && -x "$d/pg_isready" && -x "$d/createdb" ]]; then
			PGBIN="$d"
			return 0
		fi
	done
	return 1
}

if ! find_bin; then
	if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		log "PostgreSQL not found; installing Debian's postgresql package"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >&2
		apt-get install -y -q --no-install-recommends postgresql >&2
		find_bin || true
	fi
fi

if [[ -z "$PGBIN" ]]; then
	if [[ "${CI:-}" == "true" ]]; then
		log "error: PostgreSQL (initdb, pg_ctl) not found and CI=true; install it or set CHARTER_POSTGRES_URL"
		exit 1
	fi
	log "warning: PostgreSQL (initdb, pg_ctl) not found; running without CHARTER_POSTGRES_URL, so the PostgreSQL tests skip"
	exec "$@"
fi

pick_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/charter-pg.XXXXXX")"
data="$tmp/data"
sock="$tmp/sock"
mkdir -p "$sock"

# As root, the server must run as an unprivileged user.
as_user=()
if [[ "$(id -u)" -eq 0 ]]; then
	pguser=postgres
	if ! id "$pguser" >/dev/null 2>&1; then
		if command -v useradd >/dev/null 2>&1 && useradd --system --no-create-home --shell /usr/sbin/nologin "$pguser" 2>/dev/null; then
			:
		else
			pguser=nobody
		fi
	fi
	chmod 755 "$tmp"
	chown -R "$pguser" "$tmp"
	if command -v runuser >/dev/null 2>&1; then
		as_user=(runuser -u "$pguser" --)
	else
		as_user=(su -s /bin/sh "$pguser" -c '"$0" "$@"')
	fi
fi
run() { "${as_user[@]}" "$@"; }

started=""
cleanup() {
	local status=$?
	if [[ -n "$started" ]]; then
		run "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run "$PGBIN/initdb" -D "$data" -U charter --auth=trust --encoding=UTF8 --locale=C >"$tmp/initdb.log" 2>&1 || {
	cat "$tmp/initdb.log" >&2
	log "error: initdb failed"
	exit 1
}

port=""
for _ in 1 2 3; do
	port="$(pick_port)" || { log "error: no free port"; exit 1; }
	if run "$PGBIN/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 30 \
		-o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null 2>&1; then
		started=1
		break
	fi
	cat "$tmp/server.log" >&2 || true
	log "server did not start on port $port; trying another"
done
if [[ -z "$started" ]]; then
	log "error: could not start PostgreSQL"
	exit 1
fi

ready=""
for _ in $(seq 1 60); do
	if run "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U charter -d postgres; then
		ready=1
		break
	fi
	sleep 0.5
done
if [[ -z "$ready" ]]; then
	cat "$tmp/server.log" >&2 || true
	log "error: server not ready"
	exit 1
fi

run "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U charter charter

export CHARTER_POSTGRES_URL="postgres://charter@127.0.0.1:$port/charter?sslmode=disable"
log "$("$PGBIN/postgres" --version) at $CHARTER_POSTGRES_URL"

set +e
"$@"
status=$?
set -e
exit "$status"
