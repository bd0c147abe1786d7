/**
 * Child-process entry of `loadBootstrap`: receives bootstrap text over IPC, canonicalises it
 * with the xDS codec, sends the result back and exits (taking the codec's memory with it).
 */
import { ProxyConfigError } from '../errors.js';
import { canonicalBootstrap } from './bootstrap.js';

process.once('message', (m: { text: string; source: string }) => {
  canonicalBootstrap(m.text, m.source).then(
    (value) => reply({ ok: true, value }),
    (err: Error) => {
      const config = err instanceof ProxyConfigError;
      // A ProxyConfigError message already starts with its path; send the bare message.
      const path = config ? err.path : '';
      const message = config && path !== '' ? err.message.slice(path.length + 2) : err.message;
      reply({ ok: false, path, message, config });
    },
  );
});

function reply(message: unknown): void {
  process.send!(message, () => process.disconnect());
}
