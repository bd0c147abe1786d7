/** A small argv parser for the `up` and `status` verbs: `--name value`, `--name=value`, flags. */
import { MeshError } from './errors.js';

/** Parsed options: flag → value (`true` for bare flags). */
export type ParsedArgs = Map<string, string | true>;

/**
 * Parses argv against known options; `valued` names options that take a value, `aliases` maps
 * short names. Unknown options are an error naming them.
 */
export function parseArgs(
  argv: string[],
  valued: readonly string[],
  flags: readonly string[],
  aliases: Record<string, string> = {},
): ParsedArgs {
  const out: ParsedArgs = new Map();
  for (let i = 0; i < argv.length; i++) {
    let arg = aliases[argv[i]] ?? argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (valued.includes(arg)) {
      value ??= argv[++i];
      if (value === undefined) throw new MeshError('MESH_ERR_USAGE', `${arg} needs a value`);
      out.set(arg, value);
    } else if (flags.includes(arg) && value === undefined) {
      out.set(arg, true);
    } else {
      throw new MeshError('MESH_ERR_USAGE', `unknown option "${argv[i]}"`);
    }
  }
  return out;
}

/** Reads a port option (0 = pick a free one). */
export function portOption(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.get(name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (raw === true || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MeshError('MESH_ERR_USAGE', `${name}: "${raw}" is not a port (0..65535)`);
  }
  return port;
}
