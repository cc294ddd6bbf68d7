// One port for the server Playwright starts. Not Vite's dev (5173) or preview (4173 is preview's default,
// but `vite preview` is never used here), and not the API's default 8080, so `npm run dev` can keep running
// while the end-to-end tests do.
export const E2E_PORT = 4173;
export const E2E_HOST = '127.0.0.1';
export const E2E_ORIGIN = `http://${E2E_HOST}:${E2E_PORT}`;
