// scaleup service worker kill switch, served instead of sw.js when the server runs with
// --no-service-worker: it deletes the app's shell caches, unregisters itself and reloads open
// pages from the network. It never touches IndexedDB, where unsent records are kept.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('scaleup-')) await caches.delete(name);
    }
    await self.registration.unregister();
    for (const client of await self.clients.matchAll({ type: 'window' })) client.navigate(client.url);
  })());
});
