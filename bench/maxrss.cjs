// Preloaded by bench/run.mjs (`node --require`) to learn a command's peak memory: at exit,
// the process's max resident set size (KiB) goes to the file named by MLMETA_BENCH_RSS.
const fs = require('node:fs');
process.on('exit', () => {
  if (process.env.MLMETA_BENCH_RSS) fs.writeFileSync(process.env.MLMETA_BENCH_RSS, String(process.resourceUsage().maxRSS));
});
