// Runs one scsitrace CLI invocation in this process and reports wall time, CPU time and peak
// RSS as one JSON line on stderr. Used by scripts/bench.mjs, which starts it with stdout on
// /dev/null: the output goes where `scsitrace decode trace > /dev/null` sends it.
import { runCli } from '../dist/cli/program.js';
import { createContext } from '../dist/cli/context.js';

const args = process.argv.slice(2);
const errors = [];
const ctx = createContext(process.stdout, { write: (s) => (errors.push(String(s)), true) });
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const code = await runCli(args, ctx);
await new Promise((r) => process.stdout.write('', r));
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stderr.write(JSON.stringify({ code, ms, cpuMs, maxRssKB: process.resourceUsage().maxRSS, errors: errors.slice(0, 3) }) + '\n');
