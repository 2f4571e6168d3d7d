/* socialdesk web chat: a floating chat panel for the business's own website (see docs/webchat.md),
 * also inlined in the chat page at /webchat. It talks only to the server it was loaded from.
 * Everything a visitor or the business writes is shown with textContent: never parsed as HTML. */
(function () {
  "use strict";
  var CONFIG = /*CONFIG*/{};
  var STORE = "socialdesk.webchat.v1";
  var script = document.currentScript;
  var endpoint = script && script.src ? new URL("messages", script.src).href
                                      : new URL(CONFIG.endpoint, window.location.href).href;
  var fullPage = !!CONFIG.fullPage;

  function randomId(bytes) {
    var values = new Uint8Array(bytes);
    window.crypto.getRandomValues(values);
    return Array.prototype.map.call(values, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }

  var state = load();
  if (typeof state.visitor !== "string" || !/^[A-Za-z0-9_-]{22,64}$/.test(state.visitor)) {
    state = { visitor: randomId(16), cursor: 0, name: "", log: [] };
  }
  state.log = Array.isArray(state.log) ? state.log.slice(-100) : [];

  function save() {
    try { window.localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  // Web addresses in a reply become links; everything else stays plain text.
  function fill(bubble, text) {
    var pattern = /https?:\/\/[^\s<>"']+/g, last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      var url = match[0].replace(/[.,;:!?)]+$/, "");
      bubble.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", "", url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      bubble.appendChild(link);
      last = match.index + url.length;
    }
    bubble.appendChild(document.createTextNode(text.slice(last)));
  }

  var host = el("div", "socialdesk-webchat");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style");
  style.textContent = [
    ":host{all:initial}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;",
    "padding:14px 20px;background:#1f5f4a;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;",
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);",
    "height:460px;max-height:calc(100vh - 120px);display:flex;flex-direction:column;background:#fff;",
    "border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif;color:#222;",
    "overflow:hidden}",
    ".panel.page{position:static;width:auto;max-width:640px;height:calc(100vh - 40px);max-height:none;margin:20px auto}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;justify-content:space-between;align-items:center;padding:12px 14px;background:#1f5f4a;color:#fff}",
    ".head strong{font-size:15px}.head button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f6f4}",
    ".msg{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".msg.business{align-self:flex-start;background:#fff;border:1px solid #e2e2dc}",
    ".msg.visitor{align-self:flex-end;background:#1f5f4a;color:#fff}.msg.visitor a{color:#fff}",
    ".note{font-size:12px;color:#8a3b12;padding:0 12px;min-height:16px}",
    "form{display:flex;flex-direction:column;gap:6px;padding:10px;border-top:1px solid #e2e2dc}",
    "input,textarea{font:inherit;padding:8px;border:1px solid #ccc;border-radius:8px;resize:none}",
    ".row{display:flex;gap:6px}.row textarea{flex:1}",
    ".row button{border:0;border-radius:8px;background:#1f5f4a;color:#fff;padding:0 14px;cursor:pointer}"
  ].join("");
  root.appendChild(style);

  var panel = el("section", "panel" + (fullPage ? " page" : ""));
  panel.setAttribute("aria-label", "Chat with " + CONFIG.business);
  var head = el("div", "head");
  head.appendChild(el("strong", "", CONFIG.business));
  var close = el("button", "", "\u00d7");
  close.type = "button";
  close.setAttribute("aria-label", "Close chat");
  if (!fullPage) { head.appendChild(close); }
  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var note = el("div", "note");
  var form = el("form");
  var name = el("input");
  name.placeholder = "Your name (optional)";
  name.maxLength = 80;
  name.value = state.name || "";
  var row = el("div", "row");
  var input = el("textarea");
  input.rows = 2;
  input.maxLength = CONFIG.maxText;
  input.placeholder = "Write a message\u2026";
  input.setAttribute("aria-label", "Your message");
  var sendButton = el("button", "", "Send");
  sendButton.type = "submit";
  row.appendChild(input);
  row.appendChild(sendButton);
  if (!state.name) { form.appendChild(name); }
  form.appendChild(row);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(note);
  panel.appendChild(form);

  var launcher = el("button", "launcher", "Chat with us");
  launcher.type = "button";
  if (!fullPage) {
    panel.hidden = true;
    root.appendChild(launcher);
  }
  root.appendChild(panel);

  function show(from, text) {
    var bubble = el("div", "msg " + from);
    fill(bubble, text);
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
  }

  function remember(from, text) {
    state.log.push({ from: from, text: text });
    state.log = state.log.slice(-100);
    save();
    show(from, text);
  }

  show("business", CONFIG.greeting);
  state.log.forEach(function (entry) { show(entry.from === "visitor" ? "visitor" : "business", String(entry.text)); });

  var polling = false;
  function poll() {
    if (polling) { return; }
    polling = true;
    var url = endpoint + "?visitor_id=" + encodeURIComponent(state.visitor) + "&after=" + encodeURIComponent(state.cursor || 0);
    window.fetch(url, { credentials: "omit", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (body) {
        body.messages.forEach(function (message) { remember("business", String(message.text)); });
        state.cursor = body.cursor;
        save();
        polling = false;
        poll();
      })
      .catch(function () {
        polling = false;
        window.setTimeout(poll, 5000);
      });
  }

  function post(message, attempt) {
    return window.fetch(endpoint, {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(message)
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).catch(function () {
      // The same client_message_id makes a retry safe: the server records it once.
      if (attempt < 3) {
        return new Promise(function (resolve) { window.setTimeout(resolve, 2000 * attempt); })
          .then(function () { return post(message, attempt + 1); });
      }
      return { status: 0, body: { error: "You seem to be offline. Please try again." } };
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    if (name.value.trim()) { state.name = name.value.trim(); }
    var message = { visitor_id: state.visitor, name: state.name || "", text: text, client_message_id: randomId(12) };
    input.value = "";
    note.textContent = "";
    remember("visitor", text);
    if (name.parentNode) { form.removeChild(name); }
    post(message, 1).then(function (result) {
      if (result.status !== 202) { note.textContent = result.body && result.body.error ? String(result.body.error) : "Not sent."; }
      poll();
    });
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  launcher.addEventListener("click", function () {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) { input.focus(); poll(); }
  });
  close.addEventListener("click", function () { panel.hidden = true; });

  function mount() {
    (fullPage ? document.getElementById("socialdesk-chat") || document.body : document.body).appendChild(host);
    if (fullPage || state.log.length) { poll(); }
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
