// Progressive enhancement only: every page reads and works without this file.
"use strict";

// Sort the all-papers table by a column; each cell's data-value is its sort key.
function enableSorting(table) {
  const headers = Array.from(table.querySelectorAll("th[data-sort]"));
  const body = table.tBodies[0];
  headers.forEach((th, column) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const kind = th.dataset.sort;
      const key = (row) => row.cells[column].dataset.value;
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        // Missing values (no date, no upvotes) go last whichever the direction.
        if (x === "" || y === "") return (x === "") - (y === "");
        const order = kind === "number" || kind === "text" ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
        return ascending ? order : -order;
      });
      body.append(...rows);
    });
  });
}

// A "Copy" button for the citation; hidden where the clipboard is unavailable.
function enableCopy(button) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(source.textContent.trim()).then(
      () => { button.textContent = "Copied"; },
      () => { button.textContent = "Copy failed: select the text"; },
    );
  });
}

// "/" focuses the search box, as on most sites with search, unless the reader is typing.
function focusSearchOnSlash(event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
  const box = document.getElementById("site-search");
  if (!box || box.offsetParent === null) return;
  event.preventDefault();
  box.focus();
  box.select();
}

function enhance() {
  document.querySelectorAll("table.sortable").forEach(enableSorting);
  document.querySelectorAll("button[data-copy]").forEach(enableCopy);
}

document.addEventListener("keydown", focusSearchOnSlash);
enhance();
// `sitegen serve` shows an edit by swapping in the page's new body: enhance that one too.
document.addEventListener("sitegen:swap", enhance);
