// The Content Security Policy allows no inline event handlers: a select marked data-autosubmit submits its form.
document.addEventListener("change", function (event) {
  var field = event.target.closest && event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});

// Live updates: a WebSocket tells the page that something changed; the page re-fetches through htmx,
// so every byte shown still passes the server's permission checks.
(function () {
  function connect(path, onEvent, dot) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + path);
    window.dabaiSockets = (window.dabaiSockets || {});
    window.dabaiSockets[path] = socket;
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
      connect(el.dataset.live, function (event) {
        if (window.dabaiDesk && window.dabaiDesk.handle(event)) return;
        htmx.trigger(el, "live-refresh");
      }, dot);
    });
  });
})();

// The agent's desk: presence and typing (collision detection), @-mention notices, keyboard shortcuts,
// the `/` search for canned replies and the suggested draft. Texts come from the page (translated there).
(function () {
  var TYPING_IDLE_MS = 5000;
  var TYPING_SEND_MS = 2000;
  var others = {};
  var typingTimer = null;
  var lastTypingSent = 0;

  function desk() { return document.getElementById("desk"); }
  function replyBox() { return document.querySelector("[data-testid=reply-body]"); }
  function conversationSocket() {
    var d = desk();
    if (!d || !window.dabaiSockets) return null;
    var socket = window.dabaiSockets["/ws/conversations/" + d.dataset.conversation + "/"];
    return socket && socket.readyState === 1 ? socket : null;
  }
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function renderPresence() {
    var bar = document.getElementById("presence");
    if (!bar) return;
    bar.innerHTML = "";
    Object.keys(others).forEach(function (id) {
      var other = others[id];
      var line = document.createElement("div");
      line.className = "presence-line " + other.state;
      line.dataset.state = other.state;
      line.textContent = format(other.state === "typing" ? bar.dataset.typing : bar.dataset.viewing, { name: other.name });
      bar.appendChild(line);
    });
    bar.hidden = Object.keys(others).length === 0;
  }

  function onPresence(event) {
    var id = String(event.user_id);
    if (event.state === "left") { delete others[id]; renderPresence(); return; }
    var other = others[id] || {};
    clearTimeout(other.expire);
    other.name = event.name;
    other.state = event.state;
    if (event.state === "typing") {
      other.expire = setTimeout(function () {
        if (others[id]) { others[id].state = "viewing"; renderPresence(); }
      }, TYPING_IDLE_MS + 2000);
    }
    others[id] = other;
    renderPresence();
  }

  function toast(text, href) {
    var box = document.createElement("a");
    box.className = "toast";
    box.dataset.testid = "toast";
    box.setAttribute("data-testid", "toast");
    box.href = href;
    box.textContent = text;
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 10000);
  }

  function onMention(event) {
    var bar = document.getElementById("presence");
    var template = bar ? bar.dataset.mention : "@%(name)s #%(id)s";
    toast(format(template, { name: event.by || "", id: event.conversation_id }), "/inbox/" + event.conversation_id + "/");
  }

  window.dabaiDesk = {
    handle: function (event) {
      if (event.kind === "presence") { onPresence(event); return true; }
      if (event.kind === "mention.new") { onMention(event); return true; }
      return false;
    }
  };

  function reportTyping() {
    var socket = conversationSocket();
    if (!socket) return;
    var now = Date.now();
    if (now - lastTypingSent > TYPING_SEND_MS) {
      socket.send(JSON.stringify({ action: "typing" }));
      lastTypingSent = now;
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      var s = conversationSocket();
      if (s) s.send(JSON.stringify({ action: "idle" }));
      lastTypingSent = 0;
    }, TYPING_IDLE_MS);
  }

  // ---- canned replies: "/" at the start of a word opens the picker
  var picker = { items: [], active: 0, start: -1, request: 0 };

  function pickerEl() { return document.querySelector("[data-testid=macro-picker]"); }
  function closePicker() {
    var el = pickerEl();
    if (el) { el.hidden = true; el.innerHTML = ""; }
    picker.items = [];
    picker.start = -1;
  }
  function renderPicker() {
    var el = pickerEl();
    if (!el) return;
    el.innerHTML = "";
    picker.items.forEach(function (item, index) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.className = index === picker.active ? "active" : "";
      li.dataset.macro = item.id;
      var title = document.createElement("strong");
      title.textContent = item.title;
      var text = document.createElement("span");
      text.textContent = " " + item.text.slice(0, 60);
      li.appendChild(title);
      li.appendChild(text);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); insertMacro(index); });
      el.appendChild(li);
    });
    el.hidden = picker.items.length === 0;
  }
  function searchMacros(box) {
    var before = box.value.slice(0, box.selectionStart);
    var match = before.match(/(^|\s)\/([^\s\/]*)$/);
    if (!match) { closePicker(); return; }
    picker.start = before.length - match[2].length - 1;
    var form = box.closest("form");
    var ticket = ++picker.request;
    fetch(form.dataset.macroSearch + "&q=" + encodeURIComponent(match[2]), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (ticket !== picker.request) return;
        picker.items = data.results;
        picker.active = 0;
        renderPicker();
      });
  }
  function insertMacro(index) {
    var box = replyBox();
    var item = picker.items[index];
    if (!box || !item || picker.start < 0) return;
    var end = box.selectionStart;
    box.value = box.value.slice(0, picker.start) + item.text + box.value.slice(end);
    var caret = picker.start + item.text.length;
    box.setSelectionRange(caret, caret);
    var form = box.closest("form");
    fetch(form.dataset.macroUsed.replace("/0/", "/" + item.id + "/"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() }
    });
    closePicker();
    box.focus();
    updateCount(box);
  }

  function updateCount(box) {
    var counter = box.closest("form").querySelector(".char-count");
    if (!counter) return;
    var limit = parseInt(counter.dataset.limit || "0", 10);
    var length = box.value.length;
    counter.textContent = limit ? length + " / " + limit + " (" + Math.max(1, Math.ceil(length / limit)) + ")" : (length ? String(length) : "");
  }

  function useDraft(button) {
    fetch(button.dataset.useDraft, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var box = replyBox();
        if (!box || !data.text) return;
        box.value = box.value.trim() ? box.value + "\n" + data.text : data.text;
        var reply = document.querySelector("[data-testid=kind-reply]");
        if (reply) reply.checked = true;
        box.focus();
        updateCount(box);
      });
  }

  function focusReply(kind) {
    var box = replyBox();
    if (!box) return;
    var radio = document.querySelector("[data-testid=kind-" + kind + "]");
    if (radio) radio.checked = true;
    box.focus();
  }

  function toggleShortcuts(show) {
    var help = document.getElementById("shortcuts");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  function typingInField(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (e) {
    var box = replyBox();
    if (box && e.target === box) {
      var open = !pickerEl() || !pickerEl().hidden;
      if (open && picker.items.length) {
        if (e.key === "ArrowDown") { picker.active = (picker.active + 1) % picker.items.length; renderPicker(); e.preventDefault(); return; }
        if (e.key === "ArrowUp") { picker.active = (picker.active + picker.items.length - 1) % picker.items.length; renderPicker(); e.preventDefault(); return; }
        if (e.key === "Enter" || e.key === "Tab") { insertMacro(picker.active); e.preventDefault(); return; }
        if (e.key === "Escape") { closePicker(); e.preventDefault(); return; }
      }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); htmx.trigger(box.closest("form"), "submit"); return; }
      if (e.key === "Escape") { box.blur(); return; }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target)) return;
    if (e.key === "?") { toggleShortcuts(); e.preventDefault(); return; }
    if (e.key === "Escape") { toggleShortcuts(false); return; }
    var d = desk();
    if (!d) {
      // In the inbox, j opens the first conversation of the list.
      var first = document.querySelector("[data-testid=inbox-list] tr[data-conversation] a");
      if (e.key === "j" && first) { location.href = first.href; }
      return;
    }
    if (e.key === "j") { location.href = d.dataset.nextUrl; }
    else if (e.key === "r") { e.preventDefault(); focusReply("reply"); }
    else if (e.key === "n") { e.preventDefault(); focusReply("note"); }
    else if (e.key === "d") { var b = document.querySelector("[data-use-draft]"); if (b) useDraft(b); e.preventDefault(); }
    else if (e.key === "e") { var f = document.getElementById("resolve-form"); if (f) f.submit(); }
    else if (e.key === "i") { var link = document.querySelector("[data-shortcut-inbox]"); if (link) location.href = link.href; }
  });

  document.addEventListener("input", function (e) {
    if (e.target !== replyBox()) return;
    reportTyping();
    searchMacros(e.target);
    updateCount(e.target);
  });
  document.addEventListener("focusout", function (e) {
    if (e.target === replyBox()) setTimeout(closePicker, 150);
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-use-draft]");
    if (button) { e.preventDefault(); useDraft(button); }
  });
  // Hovering or focusing a badge highlights the words that earned it.
  function highlight(e, on) {
    var badge = e.target.closest && e.target.closest("[data-why-key]");
    if (!badge) return;
    var article = badge.closest(".msg");
    if (article) article.classList.toggle("why-" + badge.dataset.whyKey, on);
  }
  document.addEventListener("mouseover", function (e) { highlight(e, true); });
  document.addEventListener("mouseout", function (e) { highlight(e, false); });
  document.addEventListener("focusin", function (e) { highlight(e, true); });
  document.addEventListener("focusout", function (e) { highlight(e, false); });
})();
