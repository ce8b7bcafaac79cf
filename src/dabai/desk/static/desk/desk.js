// The agent's workspace: the list stays in place while conversations open in the pane beside it (htmx, with
// the URL pushed), j / k move between conversations, the pane's own WebSocket follows the open conversation,
// selections for bulk actions survive live refreshes of the list. Texts come from the page (translated there).
(function () {
  // Back and forward load the page again from the server: the list, its filters and the pane as the URL says.
  htmx.config.historyCacheSize = 0;
  htmx.config.refreshOnHistoryMiss = true;

  function workspace() { return document.getElementById("workspace"); }
  function pane() { return document.getElementById("conversation-pane"); }
  function openId() {
    var desk = document.getElementById("desk");
    return desk ? desk.dataset.conversation : "";
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#inbox-list tr[data-conversation]")); }

  // ---- the open conversation's socket (presence, typing, live thread)
  var socket = null;
  var socketPath = null;
  var seen = {};
  function forgetPresence() {
    Object.keys(seen).forEach(function (id) {
      if (window.dabaiDesk) window.dabaiDesk.handle({ kind: "presence", state: "left", user_id: id });
    });
    seen = {};
  }
  function openSocket(path) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var s = new WebSocket(scheme + location.host + path);
    window.dabaiSockets = window.dabaiSockets || {};
    window.dabaiSockets[path] = s;
    socket = s;
    s.onmessage = function (e) {
      var event = JSON.parse(e.data);
      if (event.kind === "presence" && event.user_id !== undefined) seen[String(event.user_id)] = true;
      if (window.dabaiDesk && window.dabaiDesk.handle(event)) return;
      var live = document.querySelector("[data-desk-live]");
      if (live) htmx.trigger(live, "live-refresh");
    };
    s.onclose = function () {
      if (s.deskClosing || socketPath !== path) return;
      setTimeout(function () { if (socketPath === path) openSocket(path); }, 3000);
    };
  }
  function followPane() {
    var live = document.querySelector("[data-desk-live]");
    var path = live ? live.dataset.deskLive : null;
    if (path === socketPath) return;
    if (socket) {
      socket.deskClosing = true;
      socket.close();
      if (window.dabaiSockets) delete window.dabaiSockets[socketPath];
    }
    forgetPresence();
    socket = null;
    socketPath = path;
    if (path) openSocket(path);
  }

  function markCurrent() {
    var id = openId();
    rows().forEach(function (row) { row.classList.toggle("current", row.dataset.conversation === id); });
  }

  // ---- bulk selection
  function selectedIds() {
    return Array.prototype.map.call(document.querySelectorAll("#inbox-list input[name=ids]:checked"), function (b) { return b.value; });
  }
  function showSelection() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) return;
    var n = selectedIds().length;
    if (!label.dataset.idle) label.dataset.idle = label.textContent;
    label.textContent = n ? label.dataset.template.replace("{n}", n) : label.dataset.idle;
    document.getElementById("workspace").classList.toggle("selecting", n > 0);
  }
  function showBulkField() {
    var action = document.querySelector("[data-bulk-action]");
    if (!action) return;
    document.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      var on = field.dataset.bulkFor === action.value;
      field.hidden = !on;
      field.disabled = !on;
    });
  }
  var keep = [];

  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-bulk-action]")) showBulkField();
    if (e.target.matches("[data-select-all]")) {
      document.querySelectorAll("#inbox-list input[name=ids]").forEach(function (b) { b.checked = e.target.checked; });
    }
    if (e.target.matches("#inbox-list input[name=ids], [data-select-all]")) showSelection();
  });

  document.addEventListener("click", function (e) {
    var view = e.target.closest && e.target.closest("[data-view]");
    if (view && workspace()) {
      var form = document.getElementById("inbox-filters");
      if (!form) return;
      e.preventDefault();
      form.querySelector("[name=view]").value = view.dataset.view;
      var status = form.querySelector("[name=status]");
      if (status) status.value = "active";
      document.querySelectorAll("[data-view]").forEach(function (v) { v.classList.toggle("active", v === view); });
      htmx.trigger(form, "submit");
      return;
    }
    var back = e.target.closest && e.target.closest("[data-desk-back]");
    if (back && workspace()) {
      e.preventDefault();
      closePane(back.href);
    }
  });

  function closePane(listUrl) {
    workspace().classList.remove("has-conversation");
    var empty = document.getElementById("pane-empty-template");
    pane().innerHTML = empty ? empty.innerHTML : "";
    followPane();
    markCurrent();
    history.pushState({}, "", listUrl);
  }

  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.target && e.detail.target.id === "inbox-list") {
      e.detail.headers["X-Desk-Conversation"] = openId();
    }
  });
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "inbox-list") {
      var fromBulk = e.detail.requestConfig && e.detail.requestConfig.elt && e.detail.requestConfig.elt.id === "bulk-form";
      keep = fromBulk ? [] : selectedIds();
    }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    if (!target) return;
    if (target.id === "inbox-list") {
      keep.forEach(function (id) {
        var box = document.querySelector("#inbox-list input[name=ids][value='" + id + "']");
        if (box) box.checked = true;
      });
      markCurrent();
      showSelection();
    }
    if (target.id === "conversation-pane") {
      workspace().classList.toggle("has-conversation", !!openId());
      followPane();
      markCurrent();
      target.scrollTop = 0;
      if (window.innerWidth < 900) window.scrollTo(0, 0);
    }
  });

  // ---- keyboard: j / k between conversations, e resolves in place (the rest is dabai.js)
  function typingInField(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function openRow(row) {
    var link = row && row.querySelector("a[data-open-conversation]");
    if (link) { link.click(); row.scrollIntoView({ block: "nearest" }); }
  }
  window.addEventListener("keydown", function (e) {
    if (!workspace() || e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target)) return;
    if (e.key !== "j" && e.key !== "k" && e.key !== "e") return;
    var shortcuts = document.getElementById("shortcuts");
    if (shortcuts && !shortcuts.hidden) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    if (e.key === "e") {
      var resolve = document.getElementById("resolve-form");
      if (resolve) htmx.trigger(resolve, "submit");
      return;
    }
    var list = rows();
    var at = list.findIndex(function (row) { return row.dataset.conversation === openId(); });
    if (e.key === "j") {
      if (at < 0) openRow(list[0]);
      else if (at + 1 < list.length) openRow(list[at + 1]);
      else {
        var desk = document.getElementById("desk");
        if (desk && desk.dataset.nextUrl) location.href = desk.dataset.nextUrl;
      }
    } else if (at > 0) {
      openRow(list[at - 1]);
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    followPane();
    markCurrent();
    showBulkField();
    showSelection();
  });
})();
