#!/usr/bin/env bash
# with-chromium.sh runs a command with Chromium installed, for the browser
# test of charter playground (cmd/charter/internal/playground):
#
#	scripts/with-chromium.sh go test ./...
#
# If $CHROMIUM names a browser, or chromium is on PATH, the command runs as
# is. Otherwise, as root with apt-get, Debian's chromium package is
# installed first. When it still cannot be found, the command runs anyway:
# the browser test skips, except under CI=true, where it fails. The exit
# status is the command's.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 command [args...]" >&2
	exit 2
fi

log() { echo "with-chromium: $*" >&2; }

if [[ -z "${CHROMIUM:-}" ]] && ! command -v chromium >/dev/null 2>&1; then
	if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		log "Chromium not found; installing Debian's chromium package"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >&2
		apt-get install -y -q chromium >&2
	else
		log "warning: Chromium not found and cannot install it; the browser test skips (fails under CI=true)"
	fi
fi

exec "$@"
