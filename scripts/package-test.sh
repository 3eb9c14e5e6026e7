#!/usr/bin/env bash
# `make package-test`: the two packages of `make deb`, installed with apt into a fresh Debian 12
# root and booted with real systemd under systemd-nspawn. Checks, in order, and stops at the
# first failure (exit 1):
#   1. apt installs both packages and their dependencies; postinst enables facegate.target but
#      does not start it while the shipped example configuration fails `facegate config check`;
#   2. with the site's configuration, an enrolled member and a capture enabled, the boot brings
#      facegate.target up from the installed files alone: each unit reaches READY (active);
#   3. a touch with the member in front of the camera (a photo of ../shared/faces, bind-mounted
#      read-only) gives an unlock on <lock>/set at a mosquitto inside;
#   4. kill -9 of each process: systemd restarts it and a new touch unlocks again;
#   5. SIGSTOP of each process: its watchdog restarts it within WatchdogSec + TimeoutAbortSec +
#      a few seconds, with a backtrace of the hung process in the journal; unlocks again;
#   6. `systemd-analyze security` of each unit, printed; each below 2.0;
#   7. `dpkg -r facegate` leaves no facegate process and keeps /etc/facegate/facegate.toml.
# The base root (debootstrap, ~40 s) and apt's downloads are cached under .cache/package-test.
# Needs root, debootstrap, systemd-container, mosquitto-clients (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
cache=$repo/.cache/package-test
faces=${FACEGATE_FACES_DIR:-$(cd "$repo/../shared/faces" 2>/dev/null && pwd || true)}
[ -n "$faces" ] && [ -f "$faces/obama.jpg" ] || { echo "package-test: ../shared/faces not found (FACEGATE_FACES_DIR)" >&2; exit 1; }
debs=${FACEGATE_DEB_DIR:-$repo/.build-deb}
deb=$(ls "$debs"/facegate_*_amd64.deb | tail -n1)
models_deb=$(ls "$debs"/facegate-models_*_all.deb | tail -n1)
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}

start=$(date +%s)
say() { printf '[package-test +%3ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

# 1. A cached minimal Debian 12 with systemd.
mkdir -p "$cache/apt-archives/partial"
if [ ! -d "$cache/base-root" ]; then
  say "debootstrap bookworm into $cache/base-root"
  rm -rf "$cache/base-root.part"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$cache/base-root.part" "$mirror" >/dev/null
  mv "$cache/base-root.part" "$cache/base-root"
fi
# nspawn needs this tmpfs on these machines (../shared/BUILD-NOTES.md).
mkdir -p /run/systemd/nspawn
mountpoint -q /run/systemd/nspawn || mount -t tmpfs tmpfs /run/systemd/nspawn

work=$(mktemp -d /tmp/fg-package-test.XXXXXX)
# What stays after the run: the journals of the watchdog restarts, the install and removal.
logs=${FACEGATE_PACKAGE_TEST_LOGS:-/tmp/fg-package-test-logs}
rm -rf "$logs" && mkdir -p "$logs"
root=$work/root
machine=fgpt$$
nspawn_pid=
cleanup() {
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
say "fresh root $root (copy of the cached base)"
cp -a "$cache/base-root" "$root"
mkdir -p "$root/var/log/journal" "$root/faces" "$root/debs"
cp "$deb" "$models_deb" "$root/debs/"

# Runs a command in the root before it boots (no systemd running: postinst does not start anything).
offline() {
  systemd-nspawn -q -D "$root" --register=no --keep-unit --bind="$cache/apt-archives:/var/cache/apt/archives" \
    --bind-ro="$faces:/faces" -E DEBIAN_FRONTEND=noninteractive -- "$@"
}
say "apt-get install ./$(basename "$models_deb") ./$(basename "$deb") mosquitto"
offline apt-get update -q >/dev/null
install_log=$logs/install.log
offline apt-get install -y -q --no-install-recommends mosquitto "/debs/$(basename "$models_deb")" "/debs/$(basename "$deb")" \
  >"$install_log" 2>&1 || { cat "$install_log"; fail "apt-get install"; }
grep -q "facegate.target is" "$install_log" || { cat "$install_log"; fail "postinst did not report the unchecked configuration"; }
say "postinst: $(grep -m1 "does not pass" "$install_log")"
[ -L "$root/etc/systemd/system/multi-user.target.wants/facegate.target" ] || fail "facegate.target not enabled"
for u in facegate facegate-capture facegate-recognizer facegate-onvif; do
  grep -q "^$u:" "$root/etc/passwd" || fail "no user $u"
done

# 2. The site: a mosquitto on a free loopback port (the container shares the host's network),
#    one lock, one camera showing a member, roles bound to the package's users.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$root/etc/mosquitto/conf.d/facegate-test.conf"
cat > "$root/etc/facegate/facegate.toml" <<EOF
[runtime]
sockets_dir = "/run/facegate"
database = "/var/lib/facegate/facegate.sqlite"

[mqtt]
host = "127.0.0.1"
port = $port
client_id = "facegate-package-test"
allow_anonymous = true
reconnect_delay_min = 0.1
reconnect_delay_max = 1

[[locks]]
id = "DC006"
occupancy_max = 120
min_unlock_interval = 1

[[cameras]]
id = "cam-a"
source = "image:///faces/obama2.jpg?fps=2"
fps = 2
locks = ["DC006"]

[recognizer]
models_dir = "/usr/share/facegate/models"

[decision]
max_decision_age = 20
txn_ttl = 60

[roles]
capture_user = "facegate-capture"
recognizer_user = "facegate-recognizer"
admin_user = "facegate"
EOF
offline runuser -u facegate -- facegate config check /etc/facegate/facegate.toml || fail "the test configuration fails config check"
offline runuser -u facegate -- facegate faces enroll obama /faces/obama.jpg --create --config /etc/facegate/facegate.toml >/dev/null \
  || fail "enroll"
offline runuser -u facegate -- facegate grants add obama DC006 --config /etc/facegate/facegate.toml >/dev/null || fail "grant"
offline systemctl enable -q facegate-capture@cam-a.service

say "boot (systemd-nspawn -b)"
systemd-nspawn -q -D "$root" -M "$machine" -b --register=no --keep-unit --console=pipe \
  --bind-ro="$faces:/faces" >"$work/console.log" 2>&1 &
nspawn_pid=$!
leader=
for _ in $(seq 100); do
  leader=$(pgrep -P "$nspawn_pid" | head -n1 || true)
  [ -n "$leader" ] && [ "$(cat /proc/"$leader"/comm 2>/dev/null)" = systemd ] && break
  sleep 0.2
done
[ -n "$leader" ] || fail "no systemd in the container"
inside() { nsenter -t "$leader" -m -u -i -n -p -C -- "$@"; }
units=(facegate-broker.service facegate-recognizer@1.service facegate-capture@cam-a.service)
mainpid() { inside systemctl show -p MainPID --value "$1"; }
wait_active() { # unit timeout → prints seconds waited
  local t0; t0=$(date +%s.%N)
  for _ in $(seq $(( $2 * 5 ))); do
    [ "$(inside systemctl is-active "$1" 2>/dev/null)" = active ] && { echo "$(date +%s.%N) - $t0" | bc; return 0; }
    sleep 0.2
  done
  return 1
}
for u in "${units[@]}"; do
  w=$(wait_active "$u" 120) || { inside systemctl status --no-pager "$u" || true; inside journalctl -b --no-pager -u "$u" | tail -40; fail "$u not active (READY)"; }
  say "$u active (READY) pid $(mainpid "$u")"
done
# The console comes up with the target too (it opens no door, so the kill tests below leave it).
w=$(wait_active facegate-web.service 120) || { inside journalctl -b --no-pager -u facegate-web.service | tail -40; fail "facegate-web.service not active (READY)"; }
say "facegate-web.service active (READY) pid $(mainpid facegate-web.service)"
inside systemctl is-active -q facegate.target || fail "facegate.target not active"

# 3. A touch, an unlock: mosquitto_sub on the host sees the container's mosquitto.
unlocks=$work/unlocks.log
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'zigbee2mqtt/+/set' -v >"$unlocks" 2>&1 &
sub_pid=$!
trap 'kill $sub_pid 2>/dev/null || true; cleanup' EXIT
sleep 1
touch_unlock() { # label
  local before; before=$(grep -c 'zigbee2mqtt/DC006/set' "$unlocks" || true)
  local t0; t0=$(date +%s.%N)
  mosquitto_pub -h 127.0.0.1 -p "$port" -t zigbee2mqtt/DC006 -m '{"occupancy":false}'
  mosquitto_pub -h 127.0.0.1 -p "$port" -t zigbee2mqtt/DC006 -m '{"occupancy":true}'
  for _ in $(seq 300); do
    if [ "$(grep -c 'zigbee2mqtt/DC006/set' "$unlocks" || true)" -gt "$before" ]; then
      say "$1: unlock after $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s: $(grep 'DC006/set' "$unlocks" | tail -n1)"
      return 0
    fi
    sleep 0.1
  done
  for u in "${units[@]}"; do inside journalctl -b --no-pager -u "$u" | tail -15; done
  fail "$1: no unlock within 30 s"
}
touch_unlock "first touch"

# 4. kill -9 of each process.
for u in "${units[@]}"; do
  old=$(mainpid "$u")
  inside kill -9 "$old"
  t0=$(date +%s.%N)
  for _ in $(seq 150); do
    new=$(mainpid "$u"); [ "$new" != 0 ] && [ "$new" != "$old" ] && [ "$(inside systemctl is-active "$u")" = active ] && break
    sleep 0.2
  done
  [ "$new" != 0 ] && [ "$new" != "$old" ] || fail "$u not restarted after kill -9"
  say "$u: kill -9 $old -> READY again as $new after $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
  touch_unlock "after kill -9 of $u"
done

# 5. SIGSTOP of each process: the watchdog (SIGABRT, backtrace, SIGKILL after TimeoutAbortSec).
for u in "${units[@]}"; do
  wd=$(inside systemctl show -p WatchdogUSec --value "$u")
  abort=$(inside systemctl show -p TimeoutAbortUSec --value "$u")
  old=$(mainpid "$u")
  since=$(inside date '+%Y-%m-%d %H:%M:%S')
  inside kill -STOP "$old"
  t0=$(date +%s.%N)
  for _ in $(seq 450); do
    new=$(mainpid "$u"); [ "$new" != 0 ] && [ "$new" != "$old" ] && [ "$(inside systemctl is-active "$u")" = active ] && break
    sleep 0.2
  done
  took=$(echo "$(date +%s.%N) - $t0" | bc)
  [ "$new" != 0 ] && [ "$new" != "$old" ] || fail "$u not restarted by its watchdog after SIGSTOP of $old"
  journal=$(inside journalctl --no-pager -o cat -u "$u" --since "$since")
  echo "$journal" > "$logs/watchdog-$u.log"
  echo "$journal" | grep -q "Watchdog timeout" || { echo "$journal" | tail -30; fail "$u: no watchdog timeout in the journal"; }
  echo "$journal" | grep -q "Backtracing from\|Program crashed" || { echo "$journal" | tail -30; fail "$u: no backtrace of pid $old in the journal"; }
  frames=$(echo "$journal" | grep -c ' in facegate-' || true)
  [ "$frames" -gt 0 ] || { echo "$journal" | tail -40; fail "$u: the backtrace has no frame of the process"; }
  say "$u: SIGSTOP $old -> watchdog ($wd, abort $abort) -> READY again as $new after $(printf '%.1f' "$took") s; backtrace in the journal ($frames frame lines)"
  { echo "$journal" | grep -m1 -A14 "Program crashed\|Backtracing from" || true; } | sed 's/^/    /'
  # WatchdogSec + TimeoutAbortSec + RestartSec + start-up: within 20 s over the watchdog period.
  wd_s=$(echo "$wd" | sed 's/s$//'); abort_s=$(echo "$abort" | sed 's/s$//')
  limit=$(( ${wd_s%%[!0-9]*} + ${abort_s%%[!0-9]*} + 10 ))
  [ "$(echo "$took < $limit" | bc)" = 1 ] || fail "$u took $took s to come back (limit $limit s)"
  touch_unlock "after the watchdog restart of $u"
done

# 6. systemd-analyze security, per unit as booted.
for u in "${units[@]}" facegate-onvif@cam-a.service facegate-web.service; do
  line=$(inside systemd-analyze security --no-pager "$u" | tail -n1)
  say "systemd-analyze security: $line"
  level=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
  [ "$(echo "$level < 2.0" | bc)" = 1 ] || { inside systemd-analyze security --no-pager "$u" | grep '✗'; fail "$u exposure $level"; }
done

# 7. dpkg -r: no process left, the configuration kept.
inside dpkg -r facegate >"$logs/remove.log" 2>&1 || { cat "$logs/remove.log"; fail "dpkg -r facegate"; }
sleep 1
left=$(inside sh -c 'for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null); case "$c" in facegate*) echo "${p#/proc/} $c";; esac; done')
[ -z "$left" ] || fail "processes left after dpkg -r: $left"
inside test -f /etc/facegate/facegate.toml || fail "dpkg -r removed the conffile"
inside grep -q "facegate-package-test" /etc/facegate/facegate.toml || fail "the site's configuration was not kept"
inside test ! -e /usr/bin/facegate-broker || fail "dpkg -r left the executables"
say "dpkg -r facegate: no facegate process left, /etc/facegate/facegate.toml kept"
say "PASS ($(( $(date +%s) - start )) s)"
