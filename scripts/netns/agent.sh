#!/usr/bin/env bash
# Open MPI's remote launcher for the "hosts" of scripts/netns/hosts.sh, in place of ssh:
# called as `agent.sh [ssh options] HOST COMMAND...`, it runs COMMAND in the network namespace
# that holds HOST's address (10.231.0.1N -> cnn-host N).
set -euo pipefail
while [[ $# -gt 0 && $1 == -* ]]; do shift; done  # ssh options Open MPI may pass
host=${1:?agent.sh: no host}
shift
case "$host" in
  10.231.0.1[1-9]) ns=cnn-host${host##*.1} ;;
  *) echo "agent.sh: $host is not one of scripts/netns/hosts.sh's hosts" >&2; exit 255 ;;
esac
exec ip netns exec "$ns" /bin/sh -c "$*"
