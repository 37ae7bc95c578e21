// Added by `sitegen serve` to the pages it serves; never part of the built site.
// It listens for the server's builds and shows the new version of its page when that page
// changed: in place when it can (the new body swapped in, the stylesheets, scripts and
// scroll position kept, as Turbo and Eleventy's dev server do), by a reload otherwise.
(function () {
  "use strict";
  var script = document.currentScript;
  var here = window.location.pathname;
  var siteScript = script.src.replace(/__sitegen__\/reload\.js$/, "assets/site.js");
  var pending = Promise.resolve();

  // What a swap cannot change: the stylesheets, the scripts and the security policy.
  function fixed(page) {
    var found = page.querySelectorAll("link[rel~='stylesheet'], script[src], meta[http-equiv]");
    return Array.prototype.map.call(found, function (element) { return element.outerHTML; }).join("\n");
  }

  // Only a page whose scripts are site.js and this one: site.js enhances a swapped body again.
  function swappable(page) {
    return Array.prototype.every.call(page.querySelectorAll("script[src]"), function (element) {
      return element.src === script.src || element.src === siteScript;
    });
  }

  function swap(html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    if (!swappable(document) || fixed(next) !== fixed(document)) {
      return false;
    }
    var kept = "link[rel~='stylesheet'], script[src], meta[http-equiv]";
    Array.prototype.slice.call(document.head.children).forEach(function (element) {
      if (!element.matches(kept)) { element.remove(); }
    });
    Array.prototype.slice.call(next.head.children).forEach(function (element) {
      if (!element.matches(kept)) { document.head.appendChild(document.adoptNode(element)); }
    });
    Array.prototype.forEach.call(next.documentElement.attributes, function (attribute) {
      document.documentElement.setAttribute(attribute.name, attribute.value);
    });
    var x = window.scrollX, y = window.scrollY;
    document.body.replaceWith(document.adoptNode(next.body));  // its scripts are not run again
    window.scrollTo(x, y);
    document.dispatchEvent(new CustomEvent("sitegen:swap"));
    return true;
  }

  function show() {
    return fetch(window.location.href, { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        if (!swap(html)) { window.location.reload(); }
      })
      .catch(function () { window.location.reload(); });
  }

  // The server makes the pages open in a browser first, and tells them first.
  var events = new EventSource(script.src.replace(/reload\.js$/, "events") + "?page=" + encodeURIComponent(here));
  var first = null;
  events.onmessage = function (event) {
    var build = JSON.parse(event.data);
    if (first === null) { first = build; return; }
    if (build.server !== first.server || build.pages === "*" || build.failed || first.failed) {
      events.close();
      window.location.reload();
    } else if (build.pages.indexOf(here) >= 0) {
      pending = pending.then(show);
    }
    first = build;
  };
})();
