#!/usr/bin/env bash
# A real single-node SLURM on this machine, for the SLURM test tier (tests/slurm). Debian 12, as root, no systemd.
#
#   tests/slurm/slurm-local.sh install   # Debian's slurmctld, slurmd, slurm-client and munge (apt-get; idempotent)
#   tests/slurm/slurm-local.sh start     # write /etc/slurm/slurm.conf, start munged, slurmctld and slurmd in the
#                                        # background, wait until sinfo shows the node idle
#   tests/slurm/slurm-local.sh stop      # cancel leftover jobs, stop the daemons this script started (by PID),
#                                        # remove the slurm.conf it wrote
#   tests/slurm/slurm-local.sh status    # sinfo and squeue
#
# The recipe and its pitfalls: ../shared/slurm/NOTES.md. No accounting database (the lightest set-up that works):
# the test runs the executor plugin with --slurm-status-command squeue (tests/slurm/profile/config.yaml).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGES="slurmctld slurmd slurm-client munge"
CONF=/etc/slurm/slurm.conf
MARK="Written by qualeval tests/slurm/slurm-local.sh"
RUN=/run/qualeval-slurm   # the PID files of the daemons this script started (slurm.conf names the first two)
DAEMONS="slurmd slurmctld munged"   # stopped in this order

say() { echo "slurm-local: $*" >&2; }
die() { say "$*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts system daemons)"; }

installed() { dpkg -s $PACKAGES >/dev/null 2>&1; }

install_packages() {
  need_root
  installed && { say "installed: $(dpkg-query -W -f='${Version}' slurmctld) (slurmctld)"; return 0; }
  command -v apt-get >/dev/null || die "apt-get not found: SLURM is installed from Debian's packages"
  local started=$SECONDS
  apt-get update -qq || die "apt-get update failed"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null \
    || die "apt-get install $PACKAGES failed"
  say "installed $PACKAGES in $((SECONDS - started)) s"
}

write_conf() {
  local cpus mem
  cpus=$(nproc)
  mem=$(( $(awk '/^MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 8 / 10 ))
  if [ -e "$CONF" ] && ! grep -q "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script: this machine has a SLURM of its own; not touching it"
  fi
  mkdir -p /etc/slurm
  sed -e "s/@CPUS@/$cpus/" -e "s/@MEMORY_MB@/$mem/" "$HERE/slurm.conf" > "$CONF.new"
  mv "$CONF.new" "$CONF"
}

wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local deadline=$(( SECONDS + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && { say "timed out waiting for: $*"; return 1; }
    sleep 0.2
  done
}

node_idle() { [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ]; }

running() {  # running PID: alive and not a zombie (PID 1 here reaps late: a killed daemon stays a zombie a while)
  local s
  s=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [ -n "$s" ] && [ "${s#Z}" = "$s" ]
}

show_logs() {
  local f
  for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
    [ -f "$f" ] && { say "last lines of $f:"; tail -n 15 "$f" >&2; }
  done
}

start() {
  need_root
  installed || die "SLURM is not installed: run '$0 install' (make slurm-install) first"
  stop
  write_conf
  # a fresh controller each time: no jobs, job ids or node states from an earlier run
  rm -rf /var/spool/slurmctld /var/spool/slurmd
  mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm "$RUN"
  : > /var/log/slurm/slurmctld.log
  : > /var/log/slurm/slurmd.log
  # no systemd: the packages' postinst did not start anything. munged runs as the munge user.
  if munge -n >/dev/null 2>&1; then
    say "a munged is already running: using it (and leaving it running)"
  else
    install -d -o munge -g munge -m 0755 /run/munge
    [ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey --create
    runuser -u munge -- /usr/sbin/munged   # forks; its PID goes to /run/munge/munged.pid
    wait_for 10 munge -n || die "munged did not start"
    cp /run/munge/munged.pid "$RUN/munged.pid"
  fi
  /usr/sbin/slurmctld || { show_logs; stop; die "slurmctld did not start"; }
  /usr/sbin/slurmd -N localhost || { show_logs; stop; die "slurmd did not start"; }
  if ! wait_for 30 node_idle; then
    sinfo -N -l >&2 || true
    show_logs
    stop
    die "the node did not become idle"
  fi
  say "started: $(sinfo -h -o '%P %a %D %T %c CPUs %m MB')"
}

stop() {
  local name pid i
  # Cancel leftover jobs while slurmd still runs: a job step whose slurmd has gone ignores SIGTERM and lingers.
  if [ -s "$RUN/slurmctld.pid" ] && running "$(cat "$RUN/slurmctld.pid")" \
    && [ -s "$RUN/slurmd.pid" ] && running "$(cat "$RUN/slurmd.pid")"; then
    if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
      scancel --partition=debug 2>/dev/null || true
      wait_for 30 bash -c '[ -z "$(squeue -h -t PENDING,RUNNING,COMPLETING,CONFIGURING,SUSPENDED -o %i)" ]' || true
    fi
  fi
  for name in $DAEMONS; do
    [ -s "$RUN/$name.pid" ] || continue
    pid=$(cat "$RUN/$name.pid")
    if running "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 1 150); do
        running "$pid" || break
        sleep 0.1
      done
      running "$pid" && say "$name (PID $pid) did not stop within 15 s"
    fi
    rm -f "$RUN/$name.pid"
  done
  # Leave no configuration behind. With slurm.conf present and no controller, every `scontrol show config` waits
  # 9 s before failing, and the SLURM executor plugin runs it each time Snakemake starts (for any executor), so
  # every later `snakemake` run, local ones included, would start 9 s late. With no slurm.conf it fails at once.
  if [ -e "$CONF" ] && grep -q "$MARK" "$CONF"; then
    rm -f "$CONF"
  fi
  return 0
}

status() {
  sinfo
  squeue --states=all
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
