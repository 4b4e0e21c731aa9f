#!/usr/bin/env bash
# bench/l4's launcher: 10,000 idle connections through a proxy hold 20,000 descriptors in it (client and
# target side) and 10,000 in the load generator, past the usual limit; raised here for every process the
# bench starts (they inherit it). Arguments go to run.ts.
set -euo pipefail
ulimit -n "$(ulimit -Hn)"
cd "$(dirname "$0")/../.."
exec npx tsx bench/l4/run.ts "$@"
