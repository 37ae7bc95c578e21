// The search page: lunr.js over the index the build packed (see sitegen/search.py).
// Results come from a small index of titles, tags and themes first; the index over every
// field, abstracts included, follows in the background and takes over when it arrives.
// The indexes are loaded and queried in a worker running this same file, so that neither
// loading them nor a query ever holds up the page; the page only shows what it answers.
// Nothing from the index is ever written as HTML: results are built with textContent.
"use strict";

// ---- The packed index -------------------------------------------------------------------

// Rebuild the serialized lunr index from the packed one: the inverted index and lunr's BM25
// field vectors, computed exactly as lunr.Builder computes them from the same term counts.
function unpackIndex(packed) {
  const fields = packed.fields.map((field) => field[0]);
  const terms = packed.terms;
  const k1 = packed.k1;
  const b = packed.b;
  const documentCount = packed.postings[0].length;
  const postings = packed.postings.map((field) => field.map((deltas) => {
    let term = 0;
    return deltas.map((delta) => (term += delta));
  }));
  const inverted = terms.map((term, index) => {
    const posting = { _index: index };
    fields.forEach((field) => { posting[field] = {}; });
    return posting;
  });
  const documentsWithTerm = new Array(terms.length).fill(0);
  const averageLength = postings.map((field, f) => {
    let total = 0;
    field.forEach((list, doc) => {
      total += list.length;
      list.forEach((term, i) => {
        if (list[i - 1] === term) return;
        documentsWithTerm[term] += 1;
        inverted[term][fields[f]][String(doc)] = {};
      });
    });
    return total / documentCount;
  });
  const idf = documentsWithTerm.map((count) =>
    Math.log(1 + Math.abs((documentCount - count + 0.5) / (count + 0.5))));
  const fieldVectors = [];
  postings.forEach((field, f) => {
    const boost = packed.fields[f][1];
    const norm = k1 * (1 - b);
    field.forEach((list, doc) => {
      const elements = [];
      const lengthFactor = k1 * b * (list.length / averageLength[f]);
      for (let i = 0; i < list.length;) {
        const term = list[i];
        let tf = 0;
        while (list[i] === term) { tf += 1; i += 1; }
        const score = idf[term] * ((k1 + 1) * tf) / (norm + lengthFactor + tf) * boost;
        elements.push(term, Math.round(score * 1000) / 1000);
      }
      fieldVectors.push([fields[f] + "/" + doc, elements]);
    });
  });
  const order = terms.map((term, index) => index).sort((x, y) => (terms[x] < terms[y] ? -1 : terms[x] > terms[y] ? 1 : 0));
  return {
    version: packed.lunr,
    fields: fields,
    fieldVectors: fieldVectors,
    invertedIndex: order.map((index) => [terms[index], inverted[index]]),
    pipeline: ["stemmer"],
  };
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

function runQuery(index, lunrLib, query) {
  const text = typeahead(query);
  if (!text) return [];
  try {
    return index.search(text);
  } catch (error) {
    if (!(error instanceof lunrLib.QueryParseError)) throw error;
    const plain = plainTerms(query);
    return plain ? index.search(plain) : [];
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
// ORs the words), an exact title first among them, then by score, curated papers (and
// "start here" ones more) raised a little above uncurated ones of about the same score.
function rank(results, query, papers, lunrLib) {
  const words = plainTerms(query).split(/\s+/).filter(Boolean);
  const terms = [...new Set(words.map((word) => queryTerm(lunrLib, word)).filter(Boolean))];
  const exact = titleKey(query);
  return results
    .map((result, order) => {
      const row = papers[Number(result.ref)];
      const matched = Object.keys(result.matchData.metadata);
      return {
        result,
        order,
        covered: terms.filter((term) => matched.some((key) => key === term || key.startsWith(term))).length,
        exact: row && titleKey(row[1]) === exact ? 1 : 0,
        score: result.score * CURATED_BOOST[(row && row[4]) || 0],
      };
    })
    .sort((a, b) => b.covered - a.covered || b.exact - a.exact || b.score - a.score || a.order - b.order)
    .map((entry) => entry.result);
}

if (typeof module === "object" && module.exports) {
  module.exports = { unpackIndex, idOf, slugOf, typeahead, plainTerms, runQuery, rank, queryTerm };
}

// ---- The worker: the indexes, off the page's thread -------------------------------------

function fetchJson(url) {
  return fetch(url).then((response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  });
}

// Messages in: start {lunr, head, full}, then query {id, query}. Messages out: head {papers,
// themes} once the first index can answer, full {snippets} once the whole one can, results
// {id, stage, results: [[paper number, matched terms], ...]}, and error {message}.
function startWorker(scope) {
  let papers = null;
  let index = null;
  let stage = "";
  let full = "";

  // The whole index is fetched once the first results are out: it never delays them.
  function loadFull() {
    const url = full;
    full = "";
    fetchJson(url).then((whole) => {
      index = lunr.Index.load(unpackIndex(whole.index));
      stage = "full";
      scope.postMessage({ type: "full", snippets: whole.snippets });
    }).catch(failed);
  }

  function failed(error) {
    scope.postMessage({ type: "error", message: error.message });
  }

  scope.onmessage = (event) => {
    const message = event.data;
    if (message.type === "start") {
      scope.importScripts(message.lunr);
      full = message.full;
      fetchJson(message.head).then((head) => {
        papers = head.papers;
        index = lunr.Index.load(unpackIndex(head.index));
        stage = "head";
        scope.postMessage({ type: "head", papers: head.papers, themes: head.themes });
      }).catch(failed);
    } else if (message.type === "query" && index) {
      const results = rank(runQuery(index, lunr, message.query), message.query, papers, lunr);
      scope.postMessage({
        type: "results", id: message.id, stage,
        results: results.map((result) => [Number(result.ref), Object.keys(result.matchData.metadata)]),
      });
      if (full) loadFull();
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
  let store = null; // { papers, themes, snippets }
  let complete = false;
  let shown = PAGE;
  let typing = false;
  let typingTimer = 0;
  let asked = 0; // the number of the latest query sent to the worker
  let askedAt = 0;
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

  function resultItem([number, terms]) {
    const row = store.papers[number];
    const matched = new Set(terms);
    const item = document.createElement("li");
    const heading = document.createElement("h2");
    const anchor = document.createElement("a");
    anchor.href = list.dataset.papers + encodeURIComponent(idOf(row)) + "/";
    appendMarked(anchor, row[1], matched);
    heading.append(anchor);
    item.append(heading);
    const facts = [row[2], row[3] >= 0 ? store.themes[row[3]][1] : ""].filter(Boolean);
    if (facts.length) {
      const meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = facts.join(" · ");
      item.append(meta);
    }
    if (store.snippets) {
      const text = document.createElement("p");
      appendMarked(text, store.snippets[number], matched);
      item.append(text);
    }
    return item;
  }

  // Ask the worker; `show` draws its answer when it comes, unless a newer query went out.
  function ask(query) {
    if (!store) return;
    asked += 1;
    askedAt = performance.now();
    worker.postMessage({ type: "query", id: asked, query: query });
  }

  function show() {
    const { query, results } = answer;
    list.replaceChildren(...results.slice(0, shown).map(resultItem));
    more.hidden = results.length <= shown;
    const text = query.trim();
    if (!text) {
      say("");
    } else if (!results.length) {
      say(`No paper matches “${text}”.` + (complete ? "" : " Abstracts are still loading."));
    } else {
      say(`${results.length} paper${results.length === 1 ? "" : "s"} match “${text}”` +
          (complete ? "." : ": titles, tags and themes so far, abstracts are loading."));
    }
    list.dataset.stage = answer.stage;
    list.dataset.query = text;
    list.dataset.count = String(results.length);
  }

  worker.onmessage = (event) => {
    const message = event.data;
    if (message.type === "head") {
      store = { papers: message.papers, themes: message.themes, snippets: null };
      ask(input.value);
    } else if (message.type === "full") {
      store.snippets = message.snippets;
      complete = true;
      ask(input.value);
    } else if (message.type === "results" && message.id === asked) {
      const first = answer === null;
      answer = { query: input.value, stage: message.stage, results: message.results };
      show();
      // From asking to the results drawn: what benchmarks/search.py times.
      performance.measure("sitegen search", { start: askedAt, end: performance.now(), detail: { query: input.value.trim() } });
      if (first) performance.mark("sitegen search ready"); // what the byte budget counts up to
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
    shown += PAGE;
    show();
    const links = list.querySelectorAll("a");
    if (links[shown - PAGE]) links[shown - PAGE].focus();
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
  worker.postMessage({
    type: "start", lunr: absolute(list.dataset.lunr), head: absolute(list.dataset.head), full: absolute(list.dataset.full),
  });
}

if (typeof document !== "undefined") startSearch();
else if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) startWorker(self);
