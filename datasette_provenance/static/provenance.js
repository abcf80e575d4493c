/* datasette-provenance: small enhancements; every page works without this script. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // Trace: characters left before the limit.
    var box = document.getElementById("prov-q");
    var counter = document.querySelector(".prov-counter");
    if (box && counter) {
      var max = parseInt(box.getAttribute("data-max"), 10) || 20000;
      var update = function () {
        var left = max - box.value.length;
        counter.textContent = left >= 0 ? left.toLocaleString() + " characters left"
                                         : (-left).toLocaleString() + " characters over the limit";
      };
      box.addEventListener("input", update);
      update();
    }
    // Article: hovering a passage lights up its entry in the side list, and back.
    var links = document.querySelectorAll("a.reuse[data-passage]");
    Array.prototype.forEach.call(links, function (link) {
      var item = document.getElementById("passage-" + link.getAttribute("data-passage"));
      if (!item) { return; }
      var on = function () { item.classList.add("prov-hover"); link.classList.add("prov-hover"); };
      var off = function () { item.classList.remove("prov-hover"); link.classList.remove("prov-hover"); };
      link.addEventListener("mouseenter", on);
      link.addEventListener("mouseleave", off);
      item.addEventListener("mouseenter", on);
      item.addEventListener("mouseleave", off);
    });
  });
})();
