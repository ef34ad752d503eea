#!/usr/bin/env bash
# Checks the include graph of src/common: a room includes only rooms below it
# (base < enc < config < kez < nats < proc) and never a role's folder.
set -euo pipefail
cd "$(dirname "$0")/.."
order=(base enc config kez nats proc)
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo 99; }
bad=0
for f in src/common/*/*.[ch]; do
	room=$(basename "$(dirname "$f")")
	r=$(rank "$room")
	while read -r inc; do
		case "$inc" in
		common/*/*) other=$(echo "$inc" | cut -d/ -f2)
			if [ "$(rank "$other")" -gt "$r" ]; then echo "$f: includes $inc (room $other is above $room)"; bad=1; fi ;;
		*/*) echo "$f: includes $inc (a role's header)"; bad=1 ;;
		esac
	done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$f")
done
[ "$bad" = 0 ] && echo "rooms: no include goes up"
exit "$bad"
