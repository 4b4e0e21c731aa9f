/**
 * The node flags and environment the proxy process ships with, declared once: scripts/start.ts starts
 * the proxy with them, worker-pool.ts gives its workers the same, and the benches (bench/l4, bench/proxy,
 * bench/tls, bench/proxy-memory) start scaleout with them, so they measure what `npm start` runs.
 *
 * `--max-semi-space-size=2`: the young generation is the largest part of a worker's RSS a flag can move
 * (at 8 a busy worker's new space held 16 MB: two semi-spaces of 8; at 2 it holds 4). Measured on Node 24 (bench/proxy-memory
 * with every row of bench/proxy, same runs, alternating, 2 at load 1-10 and 3 at 12-20 besides): the largest
 * process after any row fell from 139.3 to 117.5 MB at one worker and from 129.2 to 111.3 MB a worker at
 * two (the other runs: 138.2 → 118.4, 136.5 → 110.5), and RSS no longer rises with the 1 MiB row (garbage
 * read buffers outside V8's heap die at the next scavenge, which now comes every ~4 MB allocated). GC time
 * rose 1.4-2.2 µs a request (3-5× the scavenges, each shorter); CPU a request, a connection and a MiB
 * moved within the runs' noise, both ways. 1 MB (the floor) saved 6 MB more a worker at two workers and
 * nothing at one, for twice the scavenges again. `--max-old-space-size=1024` keeps the old generation near
 * the live heap (about 15 MB) instead of up to 4× it (bench/proxy-memory; the why is at workerV8Flags in
 * worker-pool.ts).
 *
 * `--no-maglev`: V8's middle compiler tier is left out; hot functions go from the baseline tier to
 * TurboFan, as a long-running proxy's hot path does anyway. Measured on Node 24.22.3 (bench/proxy-memory,
 * shipped flags against the same plus `--no-maglev`, same runs, alternating, 2-3 rounds of 4-5 s, quiet
 * machine): the largest process after c200 98.6 / 97.8 / 97.0 MB against 101.7 / 105.9 / 103.7 at one
 * worker and 96.4 / 108.3 / 93.9 against 99.7 / 107.0 / 100.0 at two (V8's compiler zones peak lower:
 * 5-6 MB against 9-11); after the 1 MiB row 109.6 against 118.9 MB at one worker. CPU a request did not
 * rise (c50 at one worker 58.0 / 64.3 / 64.7 µs against 69.4 / 60.8 / 84.5; a new connection 127.4
 * against 143.2, a MiB 1,425 against 1,414).
 */
export const proxyNodeFlags: readonly string[] = [
  "--max-semi-space-size=2",
  "--max-old-space-size=1024",
  "--no-maglev",
];

/**
 * Environment the proxy gets unless the one starting it has its own: glibc reads its malloc settings at
 * exec. `MALLOC_ARENA_MAX=2` holds the proxy's RSS down on Node 24 (the why is at workerMallocEnv in
 * worker-pool.ts): after c200 one process held 120 MB against 122-141 MB in three runs, at no more CPU
 * (bench/proxy-memory).
 */
export const proxyNodeEnv: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };
