import { explore } from "./src/explore.ts";
import { coverageTable } from "./src/coverage.ts";
const r = await explore({ seed: Number(process.argv[3] ?? 1), schedules: Number(process.argv[2] ?? 10), shrink: false, onSchedule: (s, i) => process.stderr.write(`${i} seed ${s.seed} v=${s.violations.length} ${s.violations.map(v=>v.guarantee+" "+v.message.slice(0,300)).join(" | ")}\n`) });
console.log(coverageTable(r.coverage).join("\n"));
console.log(JSON.stringify(r.faultsByKind), JSON.stringify(r.windows));
for (const f of r.failures) console.log(f.seed, JSON.stringify(f.violations).slice(0,800), f.replay);
