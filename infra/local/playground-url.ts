/**
 * The playground URL `npm start` prints: it opens signed in. The key rides in the fragment, which
 * browsers never send to a server (so it is in no request line or access log); the page stores it
 * in localStorage and takes it out of the address bar. The edge honours it only with
 * DEPLOY_MODE=local, where no link from elsewhere can carry a key that works on this stack.
 */
export function playgroundUrl(baseUrl: string, apiKey: string): string {
  return `${baseUrl.replace(/\/$/, '')}/#key=${encodeURIComponent(apiKey)}`;
}
