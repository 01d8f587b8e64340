/** Hash routes (`#/jobs/ID`): a static server needs no fallback, and reloads keep the page. */
import { useEffect, useState } from 'react';

export type Route = { page: 'wizard' } | { page: 'jobs' } | { page: 'job'; id: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job?.[1]) return { page: 'job', id: decodeURIComponent(job[1]) };
  if (path === '/jobs') return { page: 'jobs' };
  return { page: 'wizard' };
}

export function navigate(path: string): void {
  window.location.hash = path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
