/** Worker-thread entry of {@link loadBootstrap}: canonicalises bootstrap text and posts it back. */
import { parentPort, workerData } from 'node:worker_threads';
import { ProxyConfigError } from '../errors.js';
import { canonicalBootstrap } from './bootstrap.js';

const { text, source } = workerData as { text: string; source: string };
canonicalBootstrap(text, source).then(
  (value) => parentPort!.postMessage({ ok: true, value }),
  (err: Error) => {
    const config = err instanceof ProxyConfigError;
    // A ProxyConfigError message already starts with its path; send the bare message.
    const path = config ? err.path : '';
    const message = config && path !== '' ? err.message.slice(path.length + 2) : err.message;
    parentPort!.postMessage({ ok: false, path, message, config });
  },
);
