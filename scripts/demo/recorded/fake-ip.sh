#!/bin/sh
# `ip` for the demo when it is not run as root: answers from a recorded neighbour table that the demo
# rewrites as the client comes and goes. Usage: fake-ip.sh DIR <ip arguments…>
dir=$1
shift
case "$*" in
  *monitor*) exec tail -n 0 -F "$dir/monitor.txt" 2>/dev/null ;;
  *neigh*) exec cat "$dir/neigh.json" ;;
  *addr*) exec cat "$dir/addr.json" ;;
  *) echo "demo fake ip: unsupported arguments: $*" >&2; exit 2 ;;
esac
