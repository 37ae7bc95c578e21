// The search page: lunr.js over the index the build split into shards (see sitegen/site/search.py).
// A query fetches the shards of its terms: those of titles, arXiv ids, authors, tags and themes
// first, which answer at once, then those of the abstracts, which complete the answer.
// The shards are fetched, merged and queried in a worker running this same file, so that
// neither loading them nor a query ever holds up the page; the page only shows what it answers.
// Nothing from the index is ever written as HTML: results are built with textContent.
"use strict";

// ---- The shards -------------------------------------------------------------------------

// The shards fetched so far, and a lunr.Index over some of them. Each posting comes with the
// weight lunr.Builder gave it over the whole list, and lunr scores a document by its field
// vectors' products with the query's vector over the query's magnitude alone, so a document
// scores as in the whole index. A query's index shares every posting fetched, but its terms
// (what wildcards and edit distances expand to) are those of the query's own shards: its
// answer does not depend on what earlier queries fetched.
class ShardedIndex {
  constructor(lunrLib, manifest) {
    this.lunr = lunrLib;
    this.fields = manifest.fields.map((field) => field[0]);
    this.invertedIndex = Object.create(null);
    this.fieldVectors = Object.create(null);
    this.pipeline = lunrLib.Pipeline.load(["stemmer"]);
    this.tokenSets = new Map(); // shard key -> a lunr.TokenSet of its terms
    this.next = 0;
  }

  // A shard: [[term, field, [document, weight, document, weight, ...], field, [...]], ...], each
  // document number less the one before it, weights in thousandths. `key` names it ("head/3").
  add(key, shard) {
    for (const entry of shard) {
      let posting = this.invertedIndex[entry[0]];
      if (!posting) {
        posting = { _index: this.next++ };
        for (const field of this.fields) posting[field] = Object.create(null);
        this.invertedIndex[entry[0]] = posting;
      }
      for (let i = 1; i < entry.length; i += 2) {
        const field = this.fields[entry[i]];
        const list = entry[i + 1];
        let document = 0;
        for (let j = 0; j < list.length; j += 2) {
          document += list[j];
          posting[field][document] = {};
          const ref = field + "/" + document;
          const vector = this.fieldVectors[ref] || (this.fieldVectors[ref] = new this.lunr.Vector());
          vector.insert(posting._index, list[j + 1] / 1000);
        }
      }
    }
    this.tokenSets.set(key, this.lunr.TokenSet.fromArray(shard.map((entry) => entry[0]))); // in JavaScript's order
  }

  // The lunr.Index of a query whose shards, all added, are `keys`.
  // lunr.Index.query only asks its token set for `intersect(clause).toArray()`: the shards' sets answer it.
  over(keys) {
    const sets = keys.map((key) => this.tokenSets.get(key));
    const tokenSet = {
      intersect: (clause) => ({ toArray: () => [...new Set(sets.flatMap((set) => set.intersect(clause).toArray()))] }),
    };
    return new this.lunr.Index({
      invertedIndex: this.invertedIndex, fieldVectors: this.fieldVectors, tokenSet, fields: this.fields, pipeline: this.pipeline,
    });
  }
}

// The shards of one stage ("head" or "abstracts") a query needs, as their numbers. A shard holds
// the terms from its first term to the next shard's. A term needs its shard; a wildcard term
// every shard of what comes before its first "*" (all of them for a leading "*"); a term with an
// edit distance every shard of the terms sharing its first letter (see docs/search.md).
function shardsFor(lunrLib, manifest, stage, text) {
  const firsts = manifest.shards[stage];
  if (!firsts.length || !text) return [];
  const query = new lunrLib.Query(manifest.fields.map((field) => field[0]));
  new lunrLib.QueryParser(text, query).parse();
  const pipeline = lunrLib.Pipeline.load(["stemmer"]);
  const wanted = new Set();
  const containing = (term) => {
    let low = 0;
    let high = firsts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (firsts[middle] <= term) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  for (const clause of query.clauses) {
    const terms = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
    for (const term of terms) {
      const star = term.indexOf("*");
      const prefix = clause.editDistance ? term.slice(0, 1) : star >= 0 ? term.slice(0, star) : null;
      if (prefix === null) {
        wanted.add(containing(term));
        continue;
      }
      for (let shard = containing(prefix); shard < firsts.length; shard += 1) {
        if (shard > 0 && firsts[shard] > prefix && !firsts[shard].startsWith(prefix)) break;
        wanted.add(shard);
      }
    }
  }
  return [...wanted].sort((a, b) => a - b);
}

// The numbers of papers curated into a theme (standing 1) and that "start here" (2).
function standings(manifest) {
  const standing = new Uint8Array(manifest.papers);
  manifest.standing.forEach((deltas, level) => {
    let paper = 0;
    for (const delta of deltas) standing[(paper += delta)] = level + 1;
  });
  return standing;
}

// A paper's id: sent as is, or as the length of its ASCII title's slug (see packed_id).
function slugOf(title) {
  return (title.toLowerCase().replace(/'/g, "").match(/[a-z0-9]+/g) || []).join("-");
}

function idOf(row) {
  return typeof row[0] === "number" ? slugOf(row[1]).slice(0, row[0]) : row[0];
}

// ---- Queries ----------------------------------------------------------------------------

const SYNTAX = /(^|\s)[+-]|[:*~^]/;

// While the reader types, the last word also matches as a prefix ("mamb" finds Mamba).
// Queries that use lunr's syntax are left exactly as written.
function typeahead(query) {
  const text = query.trim();
  if (!text || SYNTAX.test(text) || /\s$/.test(query)) return text;
  const words = text.split(/\s+/);
  const last = words[words.length - 1];
  return last.length > 1 ? text + " " + last + "*" : text;
}

// Lunr's syntax characters become spaces: what a malformed query falls back to.
function plainTerms(query) {
  return query.replace(/[:+\-*~^]+/g, " ").replace(/\s+/g, " ").trim();
}

// The text a query is searched as: with the typeahead prefix, or its plain words when lunr
// cannot parse it ("title:", "lora~x", "foo:bar lora"), so that a query never fails.
function searchText(lunrLib, fields, query) {
  const text = typeahead(query);
  if (!text) return "";
  try {
    new lunrLib.QueryParser(text, new lunrLib.Query(fields)).parse();
    return text;
  } catch (error) {
    if (!(error instanceof lunrLib.QueryParseError)) throw error;
    return plainTerms(query);
  }
}

// What lunr's pipeline makes of a word of the query: "" for a stop word ("of", "the").
function queryTerm(lunrLib, word) {
  const trimmed = word.toLowerCase().replace(/^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu, "");
  if (!trimmed || !lunrLib.stopWordFilter(new lunrLib.Token(trimmed))) return "";
  return lunrLib.stemmer(new lunrLib.Token(trimmed)).toString();
}

function titleKey(text) {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).join(" ");
}

const CURATED_BOOST = [1, 1.1, 1.25]; // by a paper's standing: uncurated, curated, "start here"

// Order lunr's answers as a reader means a query: papers that match every word first (lunr
// ORs the words), then by score, curated papers (and "start here" ones more) raised a little
// above uncurated ones of about the same score. Returns [{result, covered}] in that order.
function rank(results, query, standing, lunrLib) {
  const words = plainTerms(query).split(/\s+/).filter(Boolean);
  const terms = [...new Set(words.map((word) => queryTerm(lunrLib, word)).filter(Boolean))];
  return results
    .map((result, order) => {
      const matched = Object.keys(result.matchData.metadata);
      return {
        result,
        order,
        covered: terms.filter((term) => matched.some((key) => key === term || key.startsWith(term))).length,
        score: result.score * CURATED_BOOST[standing[Number(result.ref)] || 0],
      };
    })
    .sort((a, b) => b.covered - a.covered || b.score - a.score || a.order - b.order);
}

// Among the results shown, [{covered, row}], a paper whose title is the query comes first
// of those that match as many of its words.
function exactFirst(shown, query) {
  const exact = titleKey(query);
  return shown
    .map((entry, order) => ({ entry, order, exact: titleKey(entry.row[1]) === exact ? 1 : 0 }))
    .sort((a, b) => b.entry.covered - a.entry.covered || b.exact - a.exact || a.order - b.order)
    .map((item) => item.entry);
}

if (typeof module === "object" && module.exports) {
  module.exports = {
    ShardedIndex, shardsFor, standings, idOf, slugOf, typeahead, plainTerms, searchText, rank, exactFirst, queryTerm,
  };
}

// ---- The worker: the indexes, off the page's thread -------------------------------------

function fetchJson(url) {
  return fetch(url).then((response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  });
}

// Messages in: start {lunr, manifest}, then query {id, query, limit}. Messages out: ready
// {themes} once the manifest is in; results {id, stage, count, results: [[paper number,
// matched terms, row, snippet or null], ...]} for the first `limit` results, with stage
// "head" while the abstracts' shards of the query are still coming and "full" once it is
// answered from every field; and error {message}. An answer to a query the page has since
// replaced is never sent.
function startWorker(scope) {
  let manifest = null;
  let base = "";
  let fields = [];
  let standing = null;
  let index = null;
  let latest = 0;
  const fetched = new Map(); // URL -> Promise of what its JSON gave, each fetched once
  const arrived = new Set(); // the URLs whose JSON is in

  function load(url, use) {
    if (!fetched.has(url)) {
      fetched.set(url, fetchJson(url).then((value) => {
        const used = use(value);
        arrived.add(url);
        return used;
      }, (error) => {
        fetched.delete(url); // asked again by the next query
        throw error;
      }));
    }
    return fetched.get(url);
  }

  function shardKeys(stage, text) {
    return shardsFor(lunr, manifest, stage, text).map((number) => `${stage}/${number}`);
  }

  function loadShards(keys) {
    return Promise.all(keys.map((key) => load(`${base}${key}.json`, (shard) => index.add(key, shard))));
  }

  // What results show: rows [id, title, published, theme], and snippets, a few papers a file.
  function loadChunks(kind, numbers) {
    const chunks = [...new Set(numbers.map((number) => Math.floor(number / manifest.chunk)))];
    return Promise.all(chunks.map((chunk) => load(`${base}${kind}/${chunk}.json`, (values) => values)))
      .then((lists) => {
        const byChunk = new Map(chunks.map((chunk, i) => [chunk, lists[i]]));
        return numbers.map((number) => byChunk.get(Math.floor(number / manifest.chunk))[number % manifest.chunk]);
      });
  }

  async function answer(id, query, limit, stage, keys) {
    const text = searchText(lunr, fields, query);
    const ranked = text ? rank(index.over(keys).search(text), query, standing, lunr) : [];
    const top = ranked.slice(0, limit);
    const numbers = top.map((entry) => Number(entry.result.ref));
    const rows = await loadChunks("papers", numbers);
    const snippets = stage === "full" ? await loadChunks("snippets", numbers) : numbers.map(() => null);
    if (id !== latest) return;
    const shown = exactFirst(top.map((entry, i) => ({ ...entry, row: rows[i], snippet: snippets[i] })), query);
    scope.postMessage({
      type: "results", id, stage, count: ranked.length,
      results: shown.map((entry) => [
        Number(entry.result.ref), Object.keys(entry.result.matchData.metadata), entry.row, entry.snippet]),
    });
  }

  // Titles, tags and themes answer first; the abstracts' shards complete the answer.
  async function ask(id, query, limit) {
    latest = id;
    const text = searchText(lunr, fields, query);
    const head = shardKeys("head", text);
    const abstracts = shardKeys("abstracts", text);
    await loadShards(head);
    if (id !== latest) return;
    if (!abstracts.every((key) => arrived.has(`${base}${key}.json`))) {
      await answer(id, query, limit, "head", head);
      await loadShards(abstracts);
      if (id !== latest) return;
    }
    await answer(id, query, limit, "full", head.concat(abstracts));
  }

  function failed(error) {
    scope.postMessage({ type: "error", message: error.message });
  }

  scope.onmessage = (event) => {
    const message = event.data;
    if (message.type === "start") {
      scope.importScripts(message.lunr);
      fetchJson(message.manifest).then((loaded) => {
        manifest = loaded;
        base = new URL(`${manifest.version}/`, message.manifest).href;
        fields = manifest.fields.map((field) => field[0]);
        standing = standings(manifest);
        index = new ShardedIndex(lunr, manifest);
        scope.postMessage({ type: "ready", themes: manifest.themes });
      }).catch(failed);
    } else if (message.type === "query" && manifest) {
      ask(message.id, message.query, message.limit).catch(failed);
    }
  };
}

// ---- The page ---------------------------------------------------------------------------

function startSearch() {
  const list = document.getElementById("search-results");
  const input = document.getElementById("site-search");
  if (!list || !input || typeof lunr === "undefined") return;
  const form = input.form;
  const status = document.getElementById("search-status");
  if (typeof Worker === "undefined") {
    status.textContent = "Search needs a browser that runs Web Workers. Browse all papers or the tags instead.";
    return;
  }
  const more = document.getElementById("search-more");
  const PAGE = 20;
  const worker = new Worker(list.dataset.worker);
  let themes = null; // [slug, title] in reading order, once the worker is ready
  let shown = PAGE;
  let focusFrom = -1; // after "Show more results": the first new result, to focus when it is drawn
  let typing = false;
  let typingTimer = 0;
  let asked = 0; // the number of the latest query sent to the worker
  let askedAt = 0;
  let measured = 0; // the latest query whose first answer was timed
  let answer = null; // the worker's latest answer: { query, results }

  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-describedby", "search-help");

  function queryFromUrl() {
    return new URLSearchParams(window.location.search).get("q") || "";
  }

  function say(text) {
    status.textContent = text;
  }

  function appendMarked(parent, text, matched) {
    text.split(/([\s-]+)/).forEach((part) => {
      if (part && matched.has(queryTerm(lunr, part))) {  // the term a word is indexed as
        const mark = document.createElement("mark");
        mark.textContent = part;
        parent.append(mark);
      } else if (part) {
        parent.append(document.createTextNode(part));
      }
    });
  }

  function resultItem([, terms, row, snippet]) {
    const matched = new Set(terms);
    const item = document.createElement("li");
    const heading = document.createElement("h2");
    const anchor = document.createElement("a");
    anchor.href = list.dataset.papers + encodeURIComponent(idOf(row)) + "/";
    appendMarked(anchor, row[1], matched);
    heading.append(anchor);
    item.append(heading);
    const facts = [row[2], row[3] >= 0 ? themes[row[3]][1] : ""].filter(Boolean);
    if (facts.length) {
      const meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = facts.join(" · ");
      item.append(meta);
    }
    if (snippet !== null) {
      const text = document.createElement("p");
      appendMarked(text, snippet, matched);
      item.append(text);
    }
    return item;
  }

  // Ask the worker; `show` draws its answer when it comes, unless a newer query went out.
  function ask(query) {
    if (!themes) return;
    asked += 1;
    askedAt = performance.now();
    worker.postMessage({ type: "query", id: asked, query: query, limit: shown });
  }

  function show() {
    const { query, results, count } = answer;
    const complete = answer.stage === "full";
    list.replaceChildren(...results.map(resultItem));
    more.hidden = count <= results.length;
    const text = query.trim();
    if (!text) {
      say("");
    } else if (!results.length) {
      say(`No paper matches “${text}”.` + (complete ? "" : " Abstracts are still loading."));
    } else {
      say(`${count} paper${count === 1 ? "" : "s"} match “${text}”` +
          (complete ? "." : ": titles, tags and themes so far, abstracts are loading."));
    }
    list.dataset.stage = answer.stage;
    list.dataset.query = text;
    list.dataset.count = String(count);
  }

  worker.onmessage = (event) => {
    const message = event.data;
    if (message.type === "ready") {
      themes = message.themes;
      list.dataset.ready = "true";
      ask(input.value);
    } else if (message.type === "results" && message.id === asked) {
      const first = answer === null;
      answer = { query: input.value, stage: message.stage, results: message.results, count: message.count };
      show();
      if (measured !== asked) {
        // From asking to the first results drawn: what benchmarks/search.py times.
        measured = asked;
        performance.measure("sitegen search", { start: askedAt, end: performance.now(), detail: { query: input.value.trim() } });
      }
      if (first) performance.mark("sitegen search ready"); // what the byte budget counts up to
      const links = list.querySelectorAll("a");
      if (focusFrom >= 0 && links[focusFrom]) links[focusFrom].focus();
      focusFrom = -1;
    } else if (message.type === "error") {
      failed(message);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    failed({ message: event.message || "the search worker stopped" });
  };

  // Each burst of typing is one history entry: the back button returns to the query before.
  function keepInUrl(query) {
    const url = new URL(window.location.href);
    if (query.trim()) url.searchParams.set("q", query.trim());
    else url.searchParams.delete("q");
    if (url.href !== window.location.href) {
      if (typing) window.history.replaceState(null, "", url);
      else window.history.pushState(null, "", url);
    }
    typing = true;
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(() => { typing = false; }, 1000);
  }

  input.addEventListener("input", () => {
    shown = PAGE;
    keepInUrl(input.value);
    ask(input.value);
  });
  window.addEventListener("popstate", () => {
    typing = false;
    input.value = queryFromUrl();
    shown = PAGE;
    ask(input.value);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    typing = false;
    const first = list.querySelector("a");
    if (first) first.click();
  });
  more.addEventListener("click", () => {
    focusFrom = shown;
    shown += PAGE;
    ask(input.value);
  });

  // Arrow keys move between the box and the results; Enter follows the focused result.
  function move(step) {
    const links = Array.from(list.querySelectorAll("a"));
    const at = links.indexOf(document.activeElement);
    const next = at + step;
    if (next < 0) input.focus();
    else if (next < links.length) links[next].focus();
  }
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
  });
  list.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
  });

  function failed(error) {
    say(`Search could not load (${error.message}). Reload the page, or browse all papers.`);
  }

  const absolute = (url) => new URL(url, document.baseURI).href;
  input.value = queryFromUrl();
  if (!input.value) input.focus();
  say("Loading the search index…");
  worker.postMessage({ type: "start", lunr: absolute(list.dataset.lunr), manifest: absolute(list.dataset.index) });
}

if (typeof document !== "undefined") startSearch();
else if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) startWorker(self);
