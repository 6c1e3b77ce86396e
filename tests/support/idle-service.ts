// A stand-in service for process tests: says it is ready and idles until it is stopped.
process.stdout.write("idle service ready\n");
setInterval(() => undefined, 60_000);
