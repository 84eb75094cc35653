#!/usr/bin/env bash
# Runs a command next to a real systemd user manager, inside a private mount namespace.
#
# As root: unshare -m, a tmpfs on /run (so the host's /run is untouched), `systemd --user` with
# XDG_RUNTIME_DIR=/run/user/0 and a throwaway XDG_CONFIG_HOME, then the command with
# MEDIC_TEST_SYSTEMD=1. Not root (or no unshare/systemd): the command runs as is and the
# systemd tests skip, saying why -- unless MEDIC_REQUIRE_SYSTEMD=1, which makes them fail.
#
# Bus mode (MEDIC_SYSTEMD_BUS=daemon, the default when dbus-daemon is installed): the manager is
# also registered on a real D-Bus bus daemon, the way every production host runs (`scope: system`
# talks to systemd through the system bus daemon). The daemon is `dbus-daemon --session` at
# unix:path=$XDG_RUNTIME_DIR/bus and the manager runs with DBUS_SESSION_BUS_ADDRESS set to it; the
# command gets MEDIC_TEST_BUS_ADDRESS. systemd (252) connects its API bus only while its own
# dbus.socket and dbus.service units run (manager_dbus_is_running), so the daemon is started through
# those two units, written into the throwaway XDG_CONFIG_HOME (the same on machines with or without
# dbus-user-session): socket-activated at the same address, restartable by tests with
# `systemctl --user restart dbus.service`. Its configuration is the distribution's session bus plus
# policy files tests may add (MEDIC_TEST_BUS_POLICY_DIR; see bus_config). The private socket
# ($XDG_RUNTIME_DIR/systemd/private) works in both modes, so one run tests both transports.
# MEDIC_SYSTEMD_BUS=none: no bus daemon.
#
# MEDIC_SYSTEMD_UNITS=N (scale tests and benches): N unit files medic-scale-0.service …
# medic-scale-(N-1).service (`/bin/sleep infinity`, not started) are written before the manager
# starts, so no daemon-reload is needed; the command sees MEDIC_SCALE_UNITS=N and
# MEDIC_SCALE_PREFIX=medic-scale-. Bounded: at most 10000 units, and writing them gives up (exit 2)
# after 30 s.
set -uo pipefail

# The bus daemon's configuration: the distribution's session bus, plus policy files tests drop into
# $XDG_RUNTIME_DIR/dbus-policy.d (MEDIC_TEST_BUS_POLICY_DIR) and apply with ReloadConfig -- e.g. a
# deny that makes the bus refuse one method on one object, as a permission test needs.
bus_config() {
  local session=/usr/share/dbus-1/session.conf
  if [ ! -f "$session" ]; then
    echo --session
    return
  fi
  mkdir -p "$XDG_RUNTIME_DIR/dbus-policy.d"
  cat >"$XDG_CONFIG_HOME/medic-test-bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <include>$session</include>
  <includedir>$XDG_RUNTIME_DIR/dbus-policy.d</includedir>
</busconfig>
CONF
  echo "--config-file=$XDG_CONFIG_HOME/medic-test-bus.conf"
}

bus_units() {
  local dir=$1
  cat >"$dir/dbus.socket" <<'UNIT'
[Unit]
Description=D-Bus bus daemon socket (medic tests)

[Socket]
ListenStream=%t/bus
UNIT
  cat >"$dir/dbus.service" <<UNIT
[Unit]
Description=D-Bus bus daemon (medic tests)
Requires=dbus.socket

[Service]
Type=notify
NotifyAccess=main
ExecStart=$(command -v dbus-daemon) $(bus_config) --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only
UNIT
  mkdir -p "$dir/sockets.target.wants"
  ln -sf ../dbus.socket "$dir/sockets.target.wants/dbus.socket"
}

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
  bus_address=""
  if [ "$MEDIC_SYSTEMD_BUS" = daemon ]; then
    bus_address="unix:path=$XDG_RUNTIME_DIR/bus"
    bus_units "$XDG_CONFIG_HOME/systemd/user"
  else
    # No bus at all: mask the distribution's units (dbus-user-session) so none appears.
    ln -s /dev/null "$XDG_CONFIG_HOME/systemd/user/dbus.socket"
    ln -s /dev/null "$XDG_CONFIG_HOME/systemd/user/dbus.service"
  fi
  DBUS_SESSION_BUS_ADDRESS=$bus_address systemd --user >"$XDG_CONFIG_HOME/systemd.log" 2>&1 &
  sd_pid=$!
  up=""
  for _ in $(seq 1 200); do
    if [ -S /run/user/0/systemd/private ]; then
      # Bus mode: the first connection activates the daemon; systemd then registers on it.
      if [ -z "$bus_address" ] || busctl --address="$bus_address" call org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s org.freedesktop.systemd1 >/dev/null 2>&1; then
        up=1
        break
      fi
    fi
    sleep 0.05
  done
  if [ -z "$up" ]; then
    echo "with-systemd: systemd --user did not come up${bus_address:+ on the bus $bus_address}:" >&2
    cat "$XDG_CONFIG_HOME/systemd.log" >&2
    kill "$sd_pid" 2>/dev/null
    exit 97
  fi
  export MEDIC_TEST_SYSTEMD=1
  if [ -n "$bus_address" ]; then export MEDIC_TEST_BUS_ADDRESS=$bus_address; fi
  if [ -d "$XDG_RUNTIME_DIR/dbus-policy.d" ]; then export MEDIC_TEST_BUS_POLICY_DIR=$XDG_RUNTIME_DIR/dbus-policy.d; fi
  "$@"
  rc=$?
  kill "$sd_pid" 2>/dev/null
  wait "$sd_pid" 2>/dev/null
  rm -rf "$XDG_CONFIG_HOME"
  exit "$rc"
fi

if [ -z "${MEDIC_SYSTEMD_BUS:-}" ]; then
  if command -v dbus-daemon >/dev/null; then MEDIC_SYSTEMD_BUS=daemon; else MEDIC_SYSTEMD_BUS=none; fi
fi
case "$MEDIC_SYSTEMD_BUS" in
  daemon | none) export MEDIC_SYSTEMD_BUS ;;
  *)
    echo "with-systemd: MEDIC_SYSTEMD_BUS must be daemon or none, not '$MEDIC_SYSTEMD_BUS'" >&2
    exit 2
    ;;
esac
if [ "$MEDIC_SYSTEMD_BUS" = none ]; then
  export MEDIC_TEST_BUS_SKIP="no bus daemon (MEDIC_SYSTEMD_BUS=none or dbus-daemon not installed: apt-get install dbus)"
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
