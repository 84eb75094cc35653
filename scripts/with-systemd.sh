#!/usr/bin/env bash
# Runs a command next to a real systemd user manager, inside a private mount namespace.
#
# As root: unshare -m, a tmpfs on /run (so the host's /run is untouched), `systemd --user` with
# XDG_RUNTIME_DIR=/run/user/0 and a throwaway XDG_CONFIG_HOME, then the command with
# MEDIC_TEST_SYSTEMD=1. Not root (or no unshare/systemd): the command runs as is and the
# systemd tests skip, saying why -- unless MEDIC_REQUIRE_SYSTEMD=1, which makes them fail.
#
# MEDIC_SYSTEMD_UNITS=N (scale tests and benches): N unit files medic-scale-0.service …
# medic-scale-(N-1).service (`/bin/sleep infinity`, not started) are written before the manager
# starts, so no daemon-reload is needed; the command sees MEDIC_SCALE_UNITS=N and
# MEDIC_SCALE_PREFIX=medic-scale-. Bounded: at most 10000 units, and writing them gives up (exit 2)
# after 30 s.
set -uo pipefail

if [ "${MEDIC_IN_NS:-}" = 1 ]; then
  unset MEDIC_IN_NS
  mount -t tmpfs tmpfs /run || exit 97
  mkdir -p /run/systemd/system /run/user/0 && chmod 700 /run/user/0
  export XDG_RUNTIME_DIR=/run/user/0
  XDG_CONFIG_HOME=$(mktemp -d /tmp/medic-systemd.XXXXXX)
  export XDG_CONFIG_HOME
  mkdir -p "$XDG_CONFIG_HOME/systemd/user"
  n_units=${MEDIC_SYSTEMD_UNITS:-0}
  if ! [[ "$n_units" =~ ^[0-9]+$ ]] || [ "$n_units" -gt 10000 ]; then
    echo "with-systemd: MEDIC_SYSTEMD_UNITS must be a number from 0 to 10000 (got '$n_units')" >&2
    exit 2
  fi
  SECONDS=0
  for ((i = 0; i < n_units; i++)); do
    printf '[Unit]\nDescription=medic scale unit %d\n[Service]\nExecStart=/bin/sleep infinity\n' "$i" \
      >"$XDG_CONFIG_HOME/systemd/user/medic-scale-$i.service"
    if [ "$SECONDS" -gt 30 ]; then
      echo "with-systemd: writing $n_units scale units took over 30 s; giving up" >&2
      exit 2
    fi
  done
  export MEDIC_SCALE_UNITS=$n_units MEDIC_SCALE_PREFIX=medic-scale-
  systemd --user >"$XDG_CONFIG_HOME/systemd.log" 2>&1 &
  sd_pid=$!
  for _ in $(seq 1 200); do
    [ -S /run/user/0/systemd/private ] && break
    sleep 0.05
  done
  if [ ! -S /run/user/0/systemd/private ]; then
    echo "with-systemd: systemd --user did not come up:" >&2
    cat "$XDG_CONFIG_HOME/systemd.log" >&2
    kill "$sd_pid" 2>/dev/null
    exit 97
  fi
  export MEDIC_TEST_SYSTEMD=1
  "$@"
  rc=$?
  kill "$sd_pid" 2>/dev/null
  wait "$sd_pid" 2>/dev/null
  rm -rf "$XDG_CONFIG_HOME"
  exit "$rc"
fi

reason=""
if [ "$(id -u)" != 0 ]; then
  reason="not running as root: a private mount namespace for systemd --user needs root"
elif ! command -v unshare >/dev/null || ! command -v systemd >/dev/null; then
  reason="unshare or systemd is not installed (apt-get install util-linux systemd)"
fi
if [ -z "$reason" ]; then
  MEDIC_IN_NS=1 unshare -m --propagation private "$0" "$@"
  rc=$?
  [ "$rc" != 97 ] && exit "$rc"
  reason="could not start systemd --user in a private mount namespace (see above)"
fi
echo "with-systemd: $reason; systemd tests will skip" >&2
export MEDIC_TEST_SYSTEMD_SKIP="$reason"
exec "$@"
