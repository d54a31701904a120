// omnibridge agent console: live pages, times in the agent's zone, keyboard shortcuts.
// Pages are rendered by the server and work without this script; it only keeps them fresh.
(() => {
  'use strict';
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
  const ticketId = Number(body.dataset.ticket || 0);

  // Times: shown in the agent's own time zone; waits tick.
  const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  function localTimes(root) {
    root.querySelectorAll('time[datetime]').forEach((el) => {
      const at = new Date(el.getAttribute('datetime'));
      if (!Number.isNaN(at.getTime())) {
        el.textContent = dateTime.format(at);
        el.title = at.toISOString();
      }
    });
  }
  function duration(seconds) {
    if (seconds < 60) return `${seconds}s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
    return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  }
  function tickWaits() {
    document.querySelectorAll('[data-since]').forEach((el) => {
      const since = Date.parse(el.dataset.since);
      if (!Number.isNaN(since)) {
        el.textContent = `waiting ${duration(Math.max(0, Math.floor((Date.now() - since) / 1000)))}`;
      }
    });
  }
  localTimes(document);
  tickWaits();
  setInterval(tickWaits, 1000);

  // Live regions: on an event that concerns this page, the page is read again and each
  // element marked data-region is swapped for its new version. What the agent is typing is
  // never in a region, so it is never lost. At most one read every two seconds, the last
  // event always followed by one, however many arrive.
  const MIN_GAP_MS = 2000;
  let lastRefresh = 0;
  let refreshTimer = null;
  let refreshing = false;
  let again = false;
  async function refreshNow() {
    refreshTimer = null;
    if (refreshing) { again = true; return; }
    refreshing = true;
    lastRefresh = Date.now();
    try {
      const answer = await fetch(location.pathname + location.search, {
        credentials: 'same-origin', headers: { 'X-Console-Refresh': '1' },
      });
      if (answer.redirected && new URL(answer.url).pathname === '/login') { location.assign('/login'); return; }
      if (!answer.ok) return;
      const fresh = new DOMParser().parseFromString(await answer.text(), 'text/html');
      document.querySelectorAll('[data-region]').forEach((el) => {
        const next = fresh.getElementById(el.id);
        if (next) el.replaceWith(document.importNode(next, true));
      });
      document.title = fresh.title;
      localTimes(document);
      tickWaits();
      markSelected();
    } catch (_) {
      // Offline for a moment: the stream's reconnection refreshes again.
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }
  function refresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(refreshNow, Math.max(0, lastRefresh + MIN_GAP_MS - Date.now()));
  }

  // The customer's typing, on the open ticket.
  const typing = document.getElementById('typing');
  let typingTimer = null;
  function showTyping(on) {
    if (!typing) return;
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => { typing.hidden = true; }, 15000);
  }

  // What a page follows: a ticket page, its own ticket's events; a list, what changes lists.
  const LIST_EVENTS = ['message', 'chat_ended', 'ticket_updated'];
  const TICKET_EVENTS = ['message', 'attachment', 'visited', 'chat_ended', 'ticket_updated', 'delivery'];
  function concernsThisPage(type, data) {
    if (ticketId) return data.ticketID === ticketId && TICKET_EVENTS.includes(type);
    return LIST_EVENTS.includes(type);
  }

  // The event stream: one per visible page. A hidden page (another tab, the back/forward
  // cache) closes its stream, so that streams never hold the browser's few connections to
  // the server; shown again, it reconnects and catches up. A stream that fails is opened
  // again with a growing pause; a signed-out agent goes to the sign-in.
  const loadedAt = Date.now();
  let source = null;
  let retryDelay = 1000;
  let retryTimer = null;
  function connect() {
    if (source || !csrf || document.hidden) return;
    const opened = new EventSource('/console/events');
    source = opened;
    opened.addEventListener('open', () => {
      retryDelay = 1000;
      // Whatever happened since this page was rendered, or while the stream was down (the
      // browser reconnects by itself after a drop): read the page again.
      if (Date.now() - loadedAt > 1000) refresh();
    });
    opened.addEventListener('error', () => {
      if (opened.readyState !== EventSource.CLOSED) return; // the browser reconnects itself
      if (source === opened) source = null;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(async () => {
        try {
          const probe = await fetch('/console/events', {
            credentials: 'same-origin', headers: { 'X-Console-Refresh': '1' }, redirect: 'manual',
          });
          if (probe.type === 'opaqueredirect') { location.assign('/login'); return; }
          if (probe.body) probe.body.cancel();
        } catch (_) { /* still offline */ }
        retryDelay = Math.min(retryDelay * 2, 30000);
        connect();
        refresh();
      }, retryDelay);
    });
    for (const type of [...new Set([...LIST_EVENTS, ...TICKET_EVENTS])]) {
      opened.addEventListener(type, (event) => {
        const data = JSON.parse(event.data);
        if (type === 'message' && data.ticketID === ticketId) showTyping(false);
        if (concernsThisPage(type, data)) refresh();
      });
    }
    opened.addEventListener('typing', (event) => {
      const data = JSON.parse(event.data);
      if (data.ticketID === ticketId) showTyping(data.event === 'startedtyping');
    });
    opened.addEventListener('lagged', refresh);
    // Events were missed that the server no longer keeps: reload what the page shows.
    opened.addEventListener('resync', refresh);
    opened.addEventListener('unauthorized', () => { disconnect(); location.assign('/login'); });
  }
  function disconnect() {
    clearTimeout(retryTimer);
    if (source) { source.close(); source = null; }
  }
  window.addEventListener('pagehide', disconnect);
  window.addEventListener('pageshow', (event) => { if (event.persisted) { connect(); refresh(); } });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) { disconnect(); } else { connect(); refresh(); }
  });
  connect();

  // The agent's typing, told to the chat server (at most every few seconds).
  const reply = document.getElementById('reply');
  const replyText = document.getElementById('reply-text');
  let typingSent = 0;
  let stopTimer = null;
  function sendTyping(event) {
    const form = new URLSearchParams({ event });
    fetch(`/tickets/${ticketId}/typing`, {
      method: 'POST', body: form, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf },
    }).catch(() => {});
  }
  function channel() { return reply?.querySelector('input[name="channel"]:checked')?.value; }
  if (replyText) {
    replyText.addEventListener('input', () => {
      if (channel() !== 'chat') return;
      const now = Date.now();
      if (now - typingSent > 4000) { typingSent = now; sendTyping('startedtyping'); }
      clearTimeout(stopTimer);
      stopTimer = setTimeout(() => { typingSent = 0; sendTyping('stoppedtyping'); }, 5000);
    });
    reply.addEventListener('change', () => reply.classList.toggle('note-mode', channel() === 'note'));
    replyText.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) reply.requestSubmit();
    });
  }

  // Keyboard shortcuts.
  let selected = -1;
  function ticketRows() { return [...document.querySelectorAll('tr.ticket-row')]; }
  function markSelected() {
    ticketRows().forEach((row, i) => row.classList.toggle('selected', i === selected));
  }
  function move(step) {
    const rows = ticketRows();
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, selected + step));
    markSelected();
    rows[selected].scrollIntoView({ block: 'nearest' });
    rows[selected].querySelector('a')?.focus();
  }
  function pickChannel(value) {
    const radio = reply?.querySelector(`input[name="channel"][value="${value}"]`)
      || reply?.querySelector('input[name="channel"]');
    if (radio) { radio.checked = true; reply.classList.toggle('note-mode', channel() === 'note'); }
    replyText?.focus();
  }
  const help = document.getElementById('shortcuts');
  function toggleHelp(show) {
    if (!help) return;
    help.hidden = !show;
    if (show) document.getElementById('shortcuts-close')?.focus();
  }
  document.getElementById('shortcuts-close')?.addEventListener('click', () => toggleHelp(false));
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (event.key === 'Escape') { toggleHelp(false); return; }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest('input, textarea, select, [contenteditable]')) return;
    const act = {
      j: () => move(1),
      k: () => move(-1),
      r: () => pickChannel('chat'),
      n: () => pickChannel('note'),
      a: () => document.getElementById('assign-me')?.requestSubmit(),
      '/': () => document.getElementById('search')?.focus(),
      '?': () => toggleHelp(help?.hidden),
    }[event.key];
    if (act) { event.preventDefault(); act(); }
  });
  // A click anywhere on a list's row opens its ticket.
  document.addEventListener('click', (event) => {
    const row = event.target.closest('tr.ticket-row');
    if (row && !event.target.closest('a, button')) location.assign(row.dataset.href);
  });
})();
