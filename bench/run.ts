// Benchmark dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.ts's exported main().
const name = process.argv[2];
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: npm run bench -- <name> [args], e.g. npm run bench -- log --entries 100000');
  process.exit(2);
}
const mod = (await import(`./${name}.ts`).catch(() => null)) as { main?: () => Promise<void> } | null;
if (!mod?.main) {
  console.error(`no benchmark "${name}": expected bench/${name}.ts exporting main()`);
  process.exit(2);
}
await mod.main();
