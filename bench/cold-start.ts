/**
 * Cold start alone: `rsvp serve` on an existing SQLite database, from spawn to its first
 * authenticated 200 (GET /v1/organizations/acme), as run.ts measures it; several runs.
 *
 *   node bench/cold-start.ts [--runs=5] [--prof=dir] [--entry=dist/rsvp.mjs]
 *
 * `--entry`: the script to start instead of the bundle `npm start` runs (`dist/server/rsvp.mjs`,
 * built first when the sources changed), e.g. `--entry=src/cli/main.ts` to compare. Also prints
 * each run's RSS right after its first 200.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const RUNS = Number(option('runs') ?? 5);
const PROF = option('prof');
const ENTRY = join(root, option('entry') ?? 'dist/server/rsvp.mjs');
execFileSync(process.execPath, [join(root, 'scripts/build.ts'), '--if-stale'], {
  cwd: root,
  stdio: 'inherit',
});
const env = {
  ...process.env,
  LOG_LEVEL: 'warn',
  WORKERS: 'false',
  RSVP_SECRET: 'bench-secret-bench-secret-bench-secret-0123456789',
  DATABASE_URL: join(mkdtempSync(join(tmpdir(), 'rsvp-cold-')), 'rsvp.db'),
};
const boot = execFileSync(
  process.execPath,
  [join(root, 'src/cli/main.ts'), 'bootstrap', '--email', 'owner@bench.test', '--org', 'acme'],
  { cwd: root, env },
).toString();
const authorization = `Bearer ${/api key:\s+(\S+)/.exec(boot)![1]}`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Resident memory of a process now, in MB. */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)!;
  return Math.round(Number(line[1]) / 1024);
}

const rss: number[] = [];
const times: number[] = [];
const cpu: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : []),
      '--max-semi-space-size=8',
      '--max-old-space-size=384',
      ENTRY,
      'serve',
    ],
    { cwd: root, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/organizations/acme`, {
        headers: { authorization },
      });
      if (response.status === 200) break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  times.push(Math.round(performance.now() - started));
  cpu.push(cpuMs(child.pid!));
  rss.push(rssMb(child.pid!));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
console.log(
  JSON.stringify({
    ms: times,
    median: median(times),
    cpuMs: cpu,
    cpuMedian: median(cpu),
    rssMb: rss,
    rssMedian: median(rss),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
