#!/usr/bin/env bash
# Two (or more) "hosts" on this machine for multi-machine tests of data-parallel training:
# network namespaces joined by veth pairs to a bridge, each with its own address, so that Open
# MPI's processes in different namespaces can reach each other only over TCP, as on separate
# machines (docs/DISTRIBUTED.md). Needs root (ip netns, Debian's iproute2).
#
#   scripts/netns/hosts.sh up [N]    namespaces cnn-host1..N at 10.231.0.11.., bridge cnn-br0
#                                    at 10.231.0.1 in this namespace; prints the addresses
#   scripts/netns/hosts.sh down      removes them (also what a failed `up` left)
#
# Launch into them with Open MPI's rsh launcher and scripts/netns/agent.sh in place of ssh:
#   mpirun --hostfile <(printf '10.231.0.11 slots=1\n10.231.0.12 slots=1\n') \
#     --mca plm_rsh_agent scripts/netns/agent.sh --mca plm_rsh_no_tree_spawn 1 \
#     --mca oob_tcp_if_include 10.231.0.0/24 --mca btl tcp,self \
#     --mca btl_tcp_if_include 10.231.0.0/24 -np 2 build/cnn train ...
set -euo pipefail

prefix=cnn-host
bridge=cnn-br0
net=10.231.0

down() {
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix" || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 |
                grep -E "^(cnn-v[0-9]+|$bridge)$" || true); do
    ip link del "$link" 2>/dev/null || true
  done
}

up() {
  local count=$1
  down
  ip link add "$bridge" type bridge
  ip addr add "$net.1/24" dev "$bridge"
  ip link set "$bridge" up
  for i in $(seq 1 "$count"); do
    local ns=$prefix$i outside=cnn-v$i inside=cnn-v${i}p
    ip netns add "$ns"
    ip link add "$outside" type veth peer name "$inside"
    ip link set "$inside" netns "$ns"
    ip link set "$outside" master "$bridge"
    ip link set "$outside" up
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip addr add "$net.$((10 + i))/24" dev "$inside"
    ip netns exec "$ns" ip link set "$inside" up
    echo "$net.$((10 + i))"
  done
}

case "${1:-}" in
  up) up "${2:-2}" ;;
  down) down ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
