// bench/l4's load generator, one process per run so its event loop is its own. Prints one JSON line.
//   node load.cjs rate <port> <concurrency> <seconds>   a new connection per request: connect, send R,
//                                                       read the 32-byte answer to its end, close
//   node load.cjs stream <port> <connections> <seconds> read S streams; MB/s (10^6 bytes) over the run
//   node load.cjs idle <port> <count>                   open <count> idle connections (I), report when
//                                                       all are open, hold them until stdin closes
const net = require("node:net");

const [mode, portText, nText, secondsText] = process.argv.slice(2);
const port = Number(portText);
const n = Number(nText);
const seconds = Number(secondsText ?? "0");
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

function rate() {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const one = () => {
    if (Date.now() >= deadline) return Promise.resolve();
    return new Promise((resolve) => {
      let got = 0;
      const socket = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => socket.write("R"));
      socket.on("data", (c) => {
        got += c.length;
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        if (got === 32) done++;
        else errors++;
        resolve();
      });
      socket.on("end", () => socket.end());
    }).then(one);
  };
  const started = Date.now();
  Promise.all(Array.from({ length: n }, one)).then(() => {
    const elapsed = (Date.now() - started) / 1000;
    print({ perSecond: done / elapsed, done, errors });
  });
}

function stream() {
  let bytes = 0;
  let counting = false;
  const sockets = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write("S"));
    socket.on("data", (c) => {
      if (counting) bytes += c.length;
    });
    socket.on("error", () => {});
    sockets.push(socket);
  }
  // A second of warm-up (connections open, windows grow), then the measured run.
  setTimeout(() => {
    counting = true;
    const started = Date.now();
    setTimeout(() => {
      counting = false;
      const elapsed = (Date.now() - started) / 1000;
      for (const s of sockets) s.destroy();
      print({ mbPerSecond: bytes / 1e6 / elapsed });
    }, seconds * 1000);
  }, 1000);
}

function idle() {
  let open = 0;
  let failed = 0;
  const sockets = [];
  let reported = false;
  const report = () => {
    if (reported || open + failed < n) return;
    reported = true;
    print({ open, failed });
  };
  // Opened in batches, so the proxy's accept queue (and SYN backlog) is never the limit.
  const batch = 500;
  let next = 0;
  const more = () => {
    const until = Math.min(n, next + batch);
    let pending = until - next;
    for (; next < until; next++) {
      const socket = net.connect({ port, host: "127.0.0.1" }, () => {
        socket.write("I");
        open++;
        if (--pending === 0) setImmediate(more);
        report();
      });
      socket.on("error", () => {
        failed++;
        if (--pending === 0) setImmediate(more);
        report();
      });
      sockets.push(socket);
    }
  };
  more();
  process.stdin.on("end", () => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  });
  process.stdin.resume();
}

if (mode === "rate") rate();
else if (mode === "stream") stream();
else if (mode === "idle") idle();
else {
  process.stderr.write("usage: load.cjs rate|stream|idle <port> <n> [seconds]\n");
  process.exit(2);
}
