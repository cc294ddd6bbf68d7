// Boot only: start the PWA side (service worker, install offer) and define the app element, which
// index.html already contains. start() runs before the first event-loop turn, so Chromium's one
// beforeinstallprompt event cannot be missed.
import './app/sightline-app.ts';
import { pwaLifecycle } from './pwa/register-sw.ts';

pwaLifecycle.start();
