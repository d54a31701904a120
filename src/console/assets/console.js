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

  // Live regions: on an event that concerns this page, the page is fetched again and each
  // element marked data-region is swapped for its new version. What the agent is typing is
  // never in a region, so it is never lost.
  let refreshTimer = null;
  let refreshing = false;
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      if (refreshing) { refresh(); return; }
      refreshing = true;
      try {
        const answer = await fetch(location.pathname + location.search, { credentials: 'same-origin' });
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
      } finally {
        refreshing = false;
      }
    }, 120);
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

  function concernsThisPage(type, data) {
    if (ticketId) return data.ticketID === ticketId;
    return true;
  }

  // The event stream. The browser reconnects by itself; after a reconnection the page is
  // refreshed, so whatever happened meanwhile shows. A page that is left closes its stream.
  let source = null;
  let dropped = false;
  function connect() {
    if (source || !csrf) return;
    source = new EventSource('/console/events');
    source.addEventListener('open', () => { if (dropped) refresh(); dropped = false; });
    source.addEventListener('error', () => { dropped = true; });
    for (const type of ['message', 'visited', 'chat_ended', 'attachment', 'ticket_updated', 'delivery']) {
      source.addEventListener(type, (event) => {
        const data = JSON.parse(event.data);
        if (type === 'message' && data.ticketID === ticketId) showTyping(false);
        if (concernsThisPage(type, data) || type === 'ticket_updated' || type === 'message') refresh();
      });
    }
    source.addEventListener('typing', (event) => {
      const data = JSON.parse(event.data);
      if (data.ticketID === ticketId) showTyping(data.event === 'startedtyping');
    });
    source.addEventListener('lagged', refresh);
    source.addEventListener('unauthorized', () => { disconnect(); location.assign('/login'); });
  }
  function disconnect() {
    if (source) { source.close(); source = null; }
  }
  window.addEventListener('pagehide', disconnect);
  window.addEventListener('pageshow', (event) => { if (event.persisted) { connect(); refresh(); } });
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
