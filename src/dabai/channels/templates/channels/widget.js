{% load i18n %}/* dabai chat widget: embed with one <script src=".../channels/chat/widget.js" async></script> */
(function () {
  "use strict";
  if (window.__dabaiChat) { return; }
  window.__dabaiChat = true;
  var ORIGIN = "{{ origin|escapejs }}";
  var T = {
    open: "{% translate 'Chat with us'|escapejs %}",
    title: "{% translate 'Customer service'|escapejs %}",
    placeholder: "{% translate 'Type your message…'|escapejs %}",
    send: "{% translate 'Send'|escapejs %}",
    email: "{% translate 'Your email (we answer there if you leave)'|escapejs %}",
    save: "{% translate 'Save'|escapejs %}",
    saved: "{% translate 'Thanks, we will answer by email if you are gone.'|escapejs %}",
    offline: "{% translate 'Reconnecting…'|escapejs %}"
  };
  var pending = {};
  var socket = null;
  var retry = 500;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  var root = el("div", { "id": "dabai-chat", "data-testid": "chat-widget" });
  root.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483000;font:14px/1.5 sans-serif";
  var button = el("button", { "type": "button", "data-testid": "chat-open" }, T.open);
  button.style.cssText = "padding:10px 16px;border:0;border-radius:20px;background:#1677ff;color:#fff;cursor:pointer";
  var panel = el("div", { "data-testid": "chat-panel", "hidden": "" });
  panel.style.cssText = "width:320px;background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.15)";
  var header = el("div", {}, T.title);
  header.style.cssText = "padding:8px 12px;background:#1677ff;color:#fff;border-radius:8px 8px 0 0";
  var status = el("div", { "data-testid": "chat-status" });
  status.style.cssText = "padding:0 12px;color:#999;font-size:12px";
  var list = el("ol", { "data-testid": "chat-messages", "aria-live": "polite" });
  list.style.cssText = "list-style:none;margin:0;padding:8px 12px;height:260px;overflow-y:auto";
  var form = el("form", {});
  form.style.cssText = "display:flex;gap:4px;padding:8px";
  var input = el("input", { "type": "text", "data-testid": "chat-input", "placeholder": T.placeholder, "maxlength": "4000" });
  input.style.cssText = "flex:1;padding:6px";
  var send = el("button", { "type": "submit", "data-testid": "chat-send" }, T.send);
  form.appendChild(input); form.appendChild(send);
  var emailForm = el("form", {});
  emailForm.style.cssText = "display:flex;gap:4px;padding:0 8px 8px";
  var email = el("input", { "type": "email", "data-testid": "chat-email", "placeholder": T.email });
  email.style.cssText = "flex:1;padding:4px;font-size:12px";
  var save = el("button", { "type": "submit", "data-testid": "chat-email-save" }, T.save);
  emailForm.appendChild(email); emailForm.appendChild(save);
  panel.appendChild(header); panel.appendChild(list); panel.appendChild(status);
  panel.appendChild(form); panel.appendChild(emailForm);
  root.appendChild(panel); root.appendChild(button);

  function show(message) {
    if (message.id && list.querySelector('[data-id="' + message.id + '"]')) { return; }
    var item = el("li", { "data-from": message.from, "data-id": message.id || "" }, message.text);
    item.style.cssText = "margin:4px 0;padding:6px 10px;border-radius:8px;max-width:85%;" +
      (message.from === "visitor" ? "margin-left:auto;background:#e6f0ff" : "background:#f2f2f2");
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    return item;
  }

  function connect() {
    var scheme = ORIGIN.indexOf("https:") === 0 ? "wss://" : "ws://";
    socket = new WebSocket(scheme + ORIGIN.replace(/^https?:\/\//, "") + "/ws/chat/");
    socket.onopen = function () {
      retry = 500;
      status.textContent = "";
      Object.keys(pending).forEach(function (id) { socket.send(JSON.stringify(pending[id])); });
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "ack") {
        delete pending[data.client_id];
        var item = list.querySelector('[data-client="' + data.client_id + '"]');
        if (item) { item.setAttribute("data-id", data.id); item.setAttribute("data-acked", "1"); }
      } else if (data.type === "reply") {
        show(data);
      } else if (data.type === "identified") {
        status.textContent = T.saved;
      }
    };
    socket.onclose = function () {
      status.textContent = T.offline;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  function start() {
    fetch(ORIGIN + "/channels/chat/session/", { method: "POST", credentials: "include" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        (data.history || []).forEach(show);
        if (data.email) { email.value = data.email; }
        connect();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    var id = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    var frame = { type: "message", text: text, client_id: id };
    pending[id] = frame;
    show({ from: "visitor", text: text }).setAttribute("data-client", id);
    input.value = "";
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); }
  });
  emailForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (socket && socket.readyState === 1 && email.value) {
      socket.send(JSON.stringify({ type: "identify", email: email.value }));
    }
  });
  button.addEventListener("click", function () {
    var opening = panel.hasAttribute("hidden");
    if (opening) { panel.removeAttribute("hidden"); input.focus(); } else { panel.setAttribute("hidden", ""); }
    if (opening && !socket) { start(); }
  });
  (document.body ? Promise.resolve() : new Promise(function (r) { document.addEventListener("DOMContentLoaded", r); }))
    .then(function () { document.body.appendChild(root); });
})();
