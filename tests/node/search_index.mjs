// Load the search shards into lunr.js from npm, as the search page does, and build an index
// with lunr.js itself from the same documents; print both and their answers as JSON.
// Every shard together gives `serialized`; each query is answered from the shards it fetches alone.
// Usage: node search_index.mjs SEARCH_JS SEARCH_FOLDER DOCUMENTS_JSON QUERIES_JSON
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const lunr = require("lunr");
const [searchScript, folder, documentsPath, queriesPath] = process.argv.slice(2);
const search = require(searchScript);
const read = (path) => JSON.parse(readFileSync(path, "utf-8"));
const manifest = read(join(folder, "index.json"));
const documents = read(documentsPath);
const queries = read(queriesPath);
const stages = Object.keys(manifest.shards);
const shard = (stage, number) => read(join(folder, manifest.version, stage, `${number}.json`));
const fields = manifest.fields.map((field) => field[0]);

// One index holds every shard, as a worker holds all it fetched; a query's answer uses its own shards' terms.
const whole = new search.ShardedIndex(lunr, manifest);
const every = [];
for (const stage of stages) {
  manifest.shards[stage].forEach((_, number) => {
    whole.add(`${stage}/${number}`, shard(stage, number));
    every.push(`${stage}/${number}`);
  });
}
const built = lunr(function () {
  this.ref("ref");
  for (const [name, boost] of manifest.fields) this.field(name, { boost });
  documents.forEach((document) => this.add(document));
});
const answer = (index, text) => (text ? index.search(text) : []).slice(0, 10).map((result) => [result.ref, result.score]);
const answers = queries.map((query) => {
  const text = search.searchText(lunr, fields, query);
  const alone = new search.ShardedIndex(lunr, manifest);
  const fetched = Object.fromEntries(stages.map((stage) => [stage, search.shardsFor(lunr, manifest, stage, text)]));
  const keys = stages.flatMap((stage) => fetched[stage].map((number) => `${stage}/${number}`));
  keys.forEach((key) => alone.add(key, shard(...key.split("/"))));
  return {
    query, fetched, loaded: answer(alone.over(keys), text), amongAll: answer(whole.over(keys), text), built: answer(built, text),
  };
});
process.stdout.write(JSON.stringify({ serialized: whole.over(every).toJSON(), answers }));
