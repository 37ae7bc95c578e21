// Load the packed search index into lunr.js from npm, as the search page does, and build an
// index with lunr.js itself from the same documents; print both and their answers as JSON.
// Usage: node search_index.mjs SEARCH_JS PACKED_JSON DOCUMENTS_JSON QUERIES_JSON
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const lunr = require("lunr");
const [searchScript, packedPath, documentsPath, queriesPath] = process.argv.slice(2);
const search = require(searchScript);
const read = (path) => JSON.parse(readFileSync(path, "utf-8"));
const packed = read(packedPath).index;
const documents = read(documentsPath);
const queries = read(queriesPath);

const serialized = search.unpackIndex(packed);
const loaded = lunr.Index.load(serialized);
const built = lunr(function () {
  this.ref("ref");
  for (const [name, boost] of packed.fields) this.field(name, { boost });
  documents.forEach((document) => this.add(document));
});
const answer = (index, query) =>
  search.runQuery(index, lunr, query).slice(0, 10).map((result) => [result.ref, result.score]);
const answers = queries.map((query) => ({ query, loaded: answer(loaded, query), built: answer(built, query) }));
process.stdout.write(JSON.stringify({ serialized, answers }));
