// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Copy buttons: <button data-copy-target="#id"> copies that field's value (or text) to the clipboard.
  document.addEventListener("click", async function (event) {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const field = document.querySelector(button.dataset.copyTarget);
    if (!field) return;
    const text = "value" in field ? field.value : field.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API needs a secure context; fall back to selecting the text for Ctrl+C.
      if (field.select) field.select();
      document.execCommand && document.execCommand("copy");
    }
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });

  // Destructive buttons ask first: <button data-confirm="Delete this scenario?">.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  }, true);

  // Close an open <details> menu when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      const summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // Menus move by arrow keys, as role="menu" promises screen-reader users: Down/Up (opening the menu from its
  // button), Home/End; Tab leaves the menu and closes it.
  document.addEventListener("keydown", function (event) {
    const menu = event.target.closest && event.target.closest("details.menu");
    if (!menu) return;
    if (event.key === "Tab") {
      menu.removeAttribute("open");
      return;
    }
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const items = Array.from(menu.querySelectorAll("[role=menuitem]"));
    if (items.length === 0) return;
    event.preventDefault();
    menu.setAttribute("open", "");
    const current = items.indexOf(document.activeElement);
    let next;
    if (event.key === "Home") next = 0;
    else if (event.key === "End") next = items.length - 1;
    else if (current < 0) next = event.key === "ArrowUp" ? items.length - 1 : 0;
    else next = (current + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items[next].focus();
  });

  // Times: the server writes UTC; show them in the reader's own time zone. data-time-of-day (a run's log lines): the
  // time alone, to the millisecond.
  function localizeTimes() {
    document.querySelectorAll("time[datetime]:not([data-localized])").forEach(function (el) {
      const date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      el.dataset.localized = "true";
      el.textContent = "timeOfDay" in el.dataset
        ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3 })
        : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
    });
  }

  // Live pages (a running run): reload the page in place every few seconds while it is marked live.
  let refreshTimer = 0;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    const live = document.querySelector("[data-live-refresh]");
    if (!live) return;
    const seconds = Number(live.dataset.liveRefresh) || 2;
    refreshTimer = setTimeout(function () {
      if (window.Blazor && window.Blazor.navigateTo) {
        // Focus stays where the user left it: this Blazor skips FocusOnNavigate when the path stays the same (the
        // browser tests check it, so a Blazor that moved it would be noticed).
        window.Blazor.navigateTo(location.pathname + location.search, { replaceHistoryEntry: true });
      } else {
        location.reload();
      }
    }, seconds * 1000);
  }

  // A checkbox that enables another control (data-enables) and reveals a block (data-reveals) while checked;
  // the server enforces the same rule, this only shows it as the user clicks.
  function syncToggles() {
    document.querySelectorAll("input[type=checkbox][data-enables], input[type=checkbox][data-reveals]").forEach(function (box) {
      const target = box.dataset.enables && document.querySelector(box.dataset.enables);
      if (target) {
        target.disabled = !box.checked;
        if (!box.checked) target.checked = false;
        const wrap = target.closest(".check");
        if (wrap) wrap.classList.toggle("disabled", !box.checked);
      }
      const block = box.dataset.reveals && document.querySelector(box.dataset.reveals);
      if (block) block.hidden = !box.checked;
    });
    // Fields that only matter for one connector type: <div data-show-for="select-id:value">.
    document.querySelectorAll("[data-show-for]").forEach(function (el) {
      const [id, value] = el.dataset.showFor.split(":");
      const select = document.getElementById(id);
      if (select) el.hidden = select.value !== value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[data-enables], input[data-reveals], select")) syncToggles();
  });

  // Forms marked data-guard-unsaved (scenario edit, advanced edit) ask before a link takes the user away from
  // changes not saved yet. Enhanced navigation never unloads the page, so links are checked here, before Blazor sees
  // the click; closing or reloading the tab is left to beforeunload. A submit posts the form (the page unloads, so no
  // question then); when the hub renders the posted values back unsaved (refused, or a schedule preview) it marks the
  // form data-unsaved, and markedUnsaved picks that up: the changes are still at risk until a save succeeds.
  let unsaved = null;
  function markedUnsaved() {
    const form = document.querySelector("form[data-guard-unsaved][data-unsaved]");
    if (form) unsaved = form;
  }
  document.addEventListener("input", function (event) {
    const form = event.target.closest && event.target.closest("form[data-guard-unsaved]");
    if (form) unsaved = form;
  });
  document.addEventListener("submit", function (event) {
    if (event.target === unsaved) unsaved = null;
  }, true);
  function hasUnsaved() {
    if (unsaved && !document.contains(unsaved)) unsaved = null;
    return unsaved !== null;
  }
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || !hasUnsaved() || link.getAttribute("href").startsWith("#")) return;
    if (window.confirm("Leave this page? Your changes are not saved.")) {
      unsaved = null;
    } else {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (hasUnsaved()) event.preventDefault();
  });

  // Time filters (run history) take times in the browser's zone, as the lists show them: say which, and send it.
  function fillTimeZone() {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    document.querySelectorAll("input[data-time-zone]").forEach(function (input) {
      if (input.value) return;
      input.value = zone;
      const form = input.form;
      if (form) form.querySelectorAll("[data-time-zone-label]").forEach(function (label) { label.textContent = "(" + zone + ")"; });
    });
  }

  // Blazor moves the focus to what a sent form came to (an error, a confirmation: Routes' FocusOnNavigate) without
  // scrolling: one out of sight (a form low on a long page) is brought into view, or a sighted keyboard user would not
  // see where the focus went. Blazor focuses on DOMContentLoaded, before this file's listener runs.
  function showFocusedMessage() {
    const el = document.activeElement;
    if (!el || !el.matches("[data-focus-first]")) return;
    const box = el.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) el.scrollIntoView({ block: "center" });
  }

  function onPage() {
    showFocusedMessage();
    markedUnsaved();
    syncToggles();
    localizeTimes();
    fillTimeZone();
    scheduleRefresh();
    if (window.hubCodeEditor) window.hubCodeEditor.enhanceAll();
  }

  document.addEventListener("DOMContentLoaded", onPage);
  if (document.readyState !== "loading") onPage();
  // Blazor's enhanced navigation swaps page content without a reload: enhance the new content too.
  function hookBlazor() {
    if (window.Blazor && window.Blazor.addEventListener) {
      window.Blazor.addEventListener("enhancedload", onPage);
    } else {
      setTimeout(hookBlazor, 50);
    }
  }
  hookBlazor();
})();
