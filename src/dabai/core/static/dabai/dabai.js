// Live updates: a WebSocket tells the page that something changed; the page re-fetches through htmx,
// so every byte shown still passes the server's permission checks.
(function () {
  function connect(path, onEvent, dot) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + path);
    socket.onopen = function () { if (dot) dot.classList.add("on"); };
    socket.onmessage = function (e) { onEvent(JSON.parse(e.data)); };
    socket.onclose = function () {
      if (dot) dot.classList.remove("on");
      setTimeout(function () { connect(path, onEvent, dot); }, 3000);
    };
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var dot = document.querySelector(".live-dot");
      connect(el.dataset.live, function () { htmx.trigger(el, "live-refresh"); }, dot);
    });
  });
})();
