#!/bin/sh
# tools/wqctl/monitor_tmux_test.sh WQCTL DEMO [CAPTURE_OUT]
#
# Runs the demo driver with CMWQ_CONTROL=1, shows `wqctl monitor` of it in a detached tmux
# terminal, and checks the captured screen: the table is there, names the demo's queue, and is
# redrawn in place (one table on screen after several refreshes, not a scrolling log). The
# capture is written to CAPTURE_OUT when given (docs/control.md shows one). Skips (exit 77)
# without tmux.
set -u
WQCTL=$1
DEMO=$2
OUT=${3:-}
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }

CMWQ_CONTROL=1 "$DEMO" --run-ms 8000 --irq 1:1000000:100 >/dev/null 2>&1 &
demo=$!
session="cmwq-monitor-$$"
cleanup() { tmux kill-session -t "$session" 2>/dev/null; kill "$demo" 2>/dev/null; wait "$demo" 2>/dev/null; }
trap cleanup EXIT

i=0
until "$WQCTL" list "$demo" >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -gt 100 ] && { echo "the demo never served its control socket"; exit 1; }
  sleep 0.05
done

tmux new-session -d -s "$session" -x 100 -y 12 "$WQCTL monitor $demo -i 0.3"
sleep 2
screen=$(tmux capture-pane -p -t "$session")
echo "$screen"
[ -n "$OUT" ] && printf '%s\n' "$screen" > "$OUT"

tables=$(printf '%s\n' "$screen" | grep -c "total  infl")
printf '%s\n' "$screen" | grep -q "^wqctl monitor $demo" || { echo "FAIL: no title line"; exit 1; }
printf '%s\n' "$screen" | grep -q "^nic0-rx " || { echo "FAIL: the demo's queue nic0-rx is not shown"; exit 1; }
[ "$tables" -eq 1 ] || { echo "FAIL: $tables tables on screen; the table must be redrawn in place"; exit 1; }
echo "ok"
