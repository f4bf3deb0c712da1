// The console's behaviour: live tables (SSE, htmx polling as fallback), tabs, copy
// buttons, the app form's preview, the requester's remote-access menu ("notify me when
// online", the download link).
(function () {
  "use strict";

  function config() {
    const node = document.getElementById("console-config");
    return node ? JSON.parse(node.textContent) : null;
  }

  function csrf() {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRF-Token"] || "";
  }

  function toast(text, link) {
    const box = document.getElementById("toasts");
    const item = document.createElement("div");
    item.className = "toast";
    item.setAttribute("role", "status");
    item.textContent = text + " ";
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      item.appendChild(a);
    }
    box.appendChild(item);
    setTimeout(() => item.remove(), 15000);
  }
  window.consoleToast = toast;

  // Notify me when online: the server streams "online" events for this user's watches.
  function listenForOnline() {
    const cfg = config();
    if (!cfg || !window.EventSource) return;
    const source = new EventSource(cfg.events);
    source.addEventListener("online", (event) => {
      const data = JSON.parse(event.data);
      const text = cfg.notified.replace("{name}", data.name);
      const link = data.ticket ? { href: "/console/tickets/" + data.ticket, text: cfg.open } : null;
      let shown = false;
      if ("Notification" in window && Notification.permission === "granted") {
        try { new Notification(text); shown = true; } catch (e) { shown = false; }
      }
      toast(text, link);  // the in-page toast always, so it is seen in this tab too
      document.dispatchEvent(new CustomEvent("console:online", { detail: { data, shown } }));
    });
  }

  // Live tables: an element with data-stream gets its children replaced by named SSE
  // events (each event's data is the HTML of the element with that id). If the stream
  // cannot be used, htmx polling of data-poll (every data-poll-every) takes over and the
  // element named by data-fallback-notice is shown. "Cannot be used": it fails before it
  // delivered anything (blocked, refused, an HTTP error), the browser gives up on it
  // (readyState CLOSED), it fails three times in a row, or nothing arrives within
  // FIRST_UPDATE_MS although the server sends the tables at once (a buffering proxy).
  const FIRST_UPDATE_MS = 5000;

  function swapParts(html) {
    const parsed = new DOMParser().parseFromString(html, "text/html");
    parsed.body.querySelectorAll("[data-part]").forEach((part) => {
      const target = document.getElementById(part.id);
      if (target) target.replaceWith(part);
    });
  }

  function liveTables() {
    document.querySelectorAll("[data-stream]").forEach((root) => {
      if (!window.EventSource) { startPolling(root); return; }
      const source = new EventSource(root.getAttribute("data-stream"));
      let failures = 0;
      let delivered = false;
      let polling = false;
      const fallBack = () => {
        if (polling) return;
        polling = true;
        clearTimeout(watchdog);
        source.close();
        startPolling(root);
      };
      const watchdog = setTimeout(() => { if (!delivered) fallBack(); }, FIRST_UPDATE_MS);
      source.addEventListener("update", (event) => {
        delivered = true;
        failures = 0;
        swapParts(event.data);
        root.setAttribute("data-updated", String(Date.now()));
        document.dispatchEvent(new CustomEvent("console:updated"));
      });
      source.onerror = () => {
        failures += 1;
        if (!delivered || source.readyState === EventSource.CLOSED || failures >= 3) fallBack();
      };
    });
  }

  function startPolling(root) {
    root.setAttribute("data-fallback", "poll");
    const notice = document.getElementById(root.getAttribute("data-fallback-notice") || "");
    if (notice) notice.hidden = false;
    const url = root.getAttribute("data-poll");
    if (!url || !window.htmx) return;
    // htmx polls and swaps the fragment in; a 401 carries HX-Redirect to the login page
    root.setAttribute("hx-get", url);
    root.setAttribute("hx-trigger", "every " + (root.getAttribute("data-poll-every") || "2s"));
    root.setAttribute("hx-swap", "innerHTML");
    root.addEventListener("htmx:afterSwap", () => {
      root.setAttribute("data-updated", String(Date.now()));
      document.dispatchEvent(new CustomEvent("console:updated"));
    });
    window.htmx.process(root);
  }

  // Copy buttons: data-copy-url is POSTed (it answers {"text": ...}), data-copy-text is
  // copied as is.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy-url], [data-copy-text]");
    if (!button) return;
    event.preventDefault();
    let text = button.getAttribute("data-copy-text");
    if (!text) {
      const response = await fetch(button.getAttribute("data-copy-url"), {
        method: "POST", headers: { "X-CSRF-Token": csrf() },
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) { toast(body.detail || response.statusText); return; }
      text = body.text;
    }
    button.setAttribute("data-copied", text);
    try { await navigator.clipboard.writeText(text); } catch (e) { /* shown below anyway */ }
    toast(button.getAttribute("data-copied-message") || text);
  });

  // Tabs: links with data-tab show the panel of that id.
  function tabs() {
    document.querySelectorAll(".tabs").forEach((bar) => {
      const links = bar.querySelectorAll("a[data-tab]");
      function show(name) {
        links.forEach((l) => l.setAttribute("aria-selected", String(l.getAttribute("data-tab") === name)));
        document.querySelectorAll(".tab-panel").forEach((p) => { p.hidden = p.id !== "tab-" + name; });
        const field = document.querySelector("input[name=tab]");
        if (field) field.value = name;
      }
      links.forEach((l) => l.addEventListener("click", (e) => { e.preventDefault(); show(l.getAttribute("data-tab")); history.replaceState(null, "", "#" + l.getAttribute("data-tab")); }));
      const wanted = location.hash.slice(1) || bar.getAttribute("data-current");
      if (wanted && bar.querySelector(`a[data-tab="${wanted}"]`)) show(wanted);
      // A field the browser refuses on submit (required and empty, a logo too large) is
      // shown on its tab: in a hidden panel it cannot be focused, and the save button
      // would seem to do nothing. The browser fires "invalid" at every refused field and
      // reports the first: only the first one's tab is shown.
      let shownThisSubmit = false;
      document.addEventListener("invalid", (event) => {
        if (shownThisSubmit) return;
        shownThisSubmit = true;
        setTimeout(() => { shownThisSubmit = false; }, 0);
        const panel = event.target.closest ? event.target.closest(".tab-panel") : null;
        if (panel && panel.hidden) show(panel.id.replace(/^tab-/, ""));
      }, true);
    });
  }

  // The customer-window preview follows the Appearance and Parameters tabs as typed,
  // before any save: the title, the logo (chosen, or removed), the standard fields'
  // modes and the custom fields (added, removed, renamed, made required).
  function preview() {
    const box = document.getElementById("preview");
    if (!box) return;
    const title = document.querySelector("input[name=title]");
    const logo = document.querySelector("input[name=logo]");
    const remove = document.getElementById("remove-logo");
    const img = box.querySelector("img");
    const saved = img.getAttribute("src") || "";
    const custom = document.getElementById("custom-fields");
    const customBox = document.getElementById("preview-custom");
    const addRow = document.getElementById("add-custom-field");
    function fieldLine(text, required) {
      const line = document.createElement("div");
      line.className = "field";
      line.setAttribute("data-preview-custom", "");
      line.textContent = text;
      const req = document.createElement("span");
      req.className = "req";
      req.textContent = required ? " *" : "";
      line.appendChild(req);
      return line;
    }
    function update() {
      box.querySelector(".title").textContent = title.value;
      document.querySelectorAll("select[data-field]").forEach((select) => {
        const row = box.querySelector(`[data-preview-field="${select.getAttribute("data-field")}"]`);
        if (!row) return;
        row.hidden = select.value === "hidden";
        row.querySelector(".req").textContent = select.value === "required" ? " *" : "";
      });
      if (custom && customBox) {  // as the server keeps them: key or label given, label or key shown
        const lines = [];
        custom.querySelectorAll("tr[data-custom-row]").forEach((row) => {
          const key = row.querySelector("input[name^=custom_key_]").value.trim();
          const label = row.querySelector("input[name^=custom_label_]").value.trim();
          const mode = row.querySelector("select[name^=custom_mode_]").value;
          if (key || label) lines.push(fieldLine(label || key, mode === "required"));
        });
        customBox.replaceChildren(...lines);
      }
      if (addRow && custom) addRow.hidden = !custom.querySelector("tr[data-custom-row][hidden]");
    }
    document.querySelectorAll("input[name=title], select[data-field], #custom-fields input, #custom-fields select")
      .forEach((el) => { el.addEventListener("input", update); el.addEventListener("change", update); });
    if (addRow) addRow.addEventListener("click", () => {
      const next = custom.querySelector("tr[data-custom-row][hidden]");
      if (!next) return;
      next.hidden = false;
      next.querySelector("input").focus();
      update();
    });
    // "Remove the logo": the preview shows none, and a file chosen before is let go; a
    // file chosen after unticks it.
    if (remove) remove.addEventListener("change", () => {
      if (remove.checked && logo) { logo.value = ""; logo.setCustomValidity(""); }
      img.src = saved;
      img.hidden = remove.checked || !saved;
    });
    // A file over the server's bound is refused here, said at the field, before the form
    // goes (the server's 413 would leave the admin on a bare error, everything typed lost).
    // The preview reads the file as a data: URL: the CSP allows data: images, not blob:.
    if (logo) logo.addEventListener("change", () => {
      const file = logo.files && logo.files[0];
      const tooLarge = file && file.size > Number(logo.getAttribute("data-max-bytes"));
      logo.setCustomValidity(tooLarge ? logo.getAttribute("data-too-large") : "");
      if (tooLarge) logo.reportValidity();
      if (file && remove) remove.checked = false;
      if (!file || tooLarge) {  // what a save would keep: the stored logo, unless removed
        img.src = saved;
        img.hidden = !saved || Boolean(remove && remove.checked);
        return;
      }
      img.hidden = false;
      const reader = new FileReader();
      reader.addEventListener("load", () => { img.src = reader.result; });
      reader.readAsDataURL(file);
    });
    update();
  }

  // Ticket page: the requester's remote-access icon is a menu button (the ARIA pattern:
  // Enter, Space or the arrows open it on its first or last item, the arrows, Home and End
  // move, Escape closes it back on the icon, Tab leaves it). "Notify me when ..." asks for
  // the Notification permission first (the toast works without it); "Send the download
  // link" puts the link in the action being typed and focuses it.
  function menuOf(button) { return document.getElementById(button.getAttribute("aria-controls")); }
  function menuItems(menu) { return Array.from(menu.querySelectorAll("[role=menuitem]")); }

  function openMenu(button, focusAt) {
    const menu = menuOf(button);
    if (!menu) return;
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    const items = menuItems(menu);
    if (items.length && focusAt !== null) items[focusAt === -1 ? items.length - 1 : 0].focus();
  }

  function closeMenu(button, refocus) {
    const menu = menuOf(button);
    if (menu) menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }

  function openButtons() { return document.querySelectorAll("[data-menu-button][aria-expanded=true]"); }

  document.addEventListener("keydown", (event) => {
    const button = event.target.closest ? event.target.closest("[data-menu-button]") : null;
    if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      openMenu(button, event.key === "ArrowUp" ? -1 : 0);
      return;
    }
    const menu = event.target.closest ? event.target.closest("[role=menu]") : null;
    if (!menu) return;
    const owner = document.querySelector(`[aria-controls="${menu.id}"]`);
    const items = menuItems(menu);
    const at = items.indexOf(event.target);
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      items[(moves[event.key] + items.length) % items.length].focus();
    } else if (event.key === "Escape" && owner) {
      event.preventDefault();
      closeMenu(owner, true);
    } else if (event.key === "Tab" && owner) {
      closeMenu(owner, false);
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-menu-button]");
    if (button) {
      if (button.getAttribute("aria-expanded") === "true") closeMenu(button, false);
      else openMenu(button, 0);
    }
    openButtons().forEach((open) => {  // a click elsewhere, or on an item, closes a menu
      if (open !== button && !(menuOf(open) || open).contains(event.target)) closeMenu(open, false);
    });
    const notify = event.target.closest("[data-notify-permission]");
    if (notify && "Notification" in window && Notification.permission === "default") {
      Notification.requestPermission();
    }
    const item = event.target.closest("[role=menu] [role=menuitem]");
    if (item) {
      const owner = document.querySelector(`[aria-controls="${item.closest("[role=menu]").id}"]`);
      if (owner) closeMenu(owner, true);  // (a link insertion then focuses the action)
    }
    const send = event.target.closest("[data-insert-link]");
    if (send) {
      event.preventDefault();
      const area = document.getElementById(send.getAttribute("data-target"));
      if (!area) return;
      const link = send.getAttribute("data-insert-link");
      const start = area.selectionStart ?? area.value.length;
      area.value = area.value.slice(0, start) + link + area.value.slice(area.selectionEnd ?? start);
      area.focus();
      area.selectionStart = area.selectionEnd = start + link.length;
    }
  });

  // The icon's block is polled (its state moves: online, offline, watching) and swapped
  // whole: an open menu, and the focus in it, are put back on the new block.
  let reopen = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    const open = target ? target.querySelector("[data-menu-button][aria-expanded=true]") : null;
    const focused = target && target.contains(document.activeElement) ? document.activeElement : null;
    reopen = open || focused ? { open: open ? open.id : null, focus: focused ? focused.id : null } : null;
  });
  document.addEventListener("htmx:afterSwap", () => {
    if (!reopen) return;
    const wanted = reopen;
    reopen = null;
    const button = wanted.open ? document.getElementById(wanted.open) : null;
    if (button) openMenu(button, null);
    const again = wanted.focus ? document.getElementById(wanted.focus) : null;
    if (again && again.offsetParent !== null) again.focus();
    else if (button) openMenu(button, 0);
  });

  // A <select data-autosubmit> saves its form at once (no inline handler: the CSP has none).
  document.addEventListener("change", (event) => {
    const select = event.target.closest ? event.target.closest("select[data-autosubmit]") : null;
    if (select && select.form) select.form.submit();
  });

  document.addEventListener("DOMContentLoaded", () => { listenForOnline(); liveTables(); tabs(); preview(); });
})();
