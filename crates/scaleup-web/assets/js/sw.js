// scaleup service worker: keeps the app shell (HTML, stylesheet, script) available offline.
//
// Rules it keeps, because each was broken somewhere (../shared/reference/web-app.md):
// - It caches only the shell, which holds nothing personal; records live in IndexedDB, which
//   this worker never touches, so no update can delete a queued record.
// - It never handles anything but GET: the sync API and every form post go to the network.
// - A new version installs beside the old one and waits; the page tells it to take over only
//   when no form is open (message "skip-waiting").
// - The server can replace this file with a kill switch that removes the worker.
const VERSION = '__VERSION__';
const CACHE = 'scaleup-shell-' + VERSION;
const ASSETS = ['__CSS__', '__JS__'];
const SHELL = /^\/app\/[a-z]{2}\/$/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // The shells already in use (any language the phone has opened) come along, so the update
    // works offline in every one of them.
    const shells = new Set();
    for (const name of await caches.keys()) {
      if (!name.startsWith('scaleup-shell-')) continue;
      for (const req of await (await caches.open(name)).keys()) {
        const path = new URL(req.url).pathname;
        if (SHELL.test(path)) shells.add(path);
      }
    }
    for (const client of await self.clients.matchAll({ includeUncontrolled: true, type: 'window' })) {
      const path = new URL(client.url).pathname;
      if (SHELL.test(path)) shells.add(path);
    }
    await cache.addAll([...ASSETS, ...shells]);
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('scaleup-shell-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  const isShell = SHELL.test(path) && url.search === '';
  const isAsset = ASSETS.includes(path + url.search);
  if (isShell || isAsset) {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(req, { ignoreVary: true });
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok) await cache.put(req, res.clone());
      return res;
    })());
  } else if (req.mode === 'navigate' && path.startsWith('/app/')) {
    // Any other app address while offline (the home-screen start URL /app/): the last shell.
    event.respondWith(fetch(req).catch(async () => {
      const cache = await caches.open(CACHE);
      for (const key of await cache.keys()) {
        if (SHELL.test(new URL(key.url).pathname)) return cache.match(key);
      }
      return Response.error();
    }));
  }
});
