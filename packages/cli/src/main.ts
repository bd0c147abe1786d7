/**
 * The `meshwork` command line. Each verb lives in `commands/<verb>.ts` and exports a
 * {@link Command}; this file only dispatches, so verbs can be added without touching it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What every `commands/<verb>.ts` module exports. */
export interface Command {
  /** One line for `meshwork help`. */
  summary: string;
  /** Runs the verb with the arguments after it; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

const commandsDir = fileURLToPath(new URL('./commands/', import.meta.url));
const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

function listVerbs(): string[] {
  if (!existsSync(commandsDir)) return [];
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith(extension) && !f.endsWith(`.test${extension}`) && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -extension.length))
    .sort();
}

async function loadCommand(verb: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(verb) || !listVerbs().includes(verb)) return undefined;
  const mod = (await import(`./commands/${verb}${extension}`)) as { command: Command };
  return mod.command;
}

async function printHelp(): Promise<void> {
  const lines = ['usage: meshwork <command> [options]', '', 'commands:'];
  for (const verb of listVerbs()) {
    const cmd = await loadCommand(verb);
    if (cmd) lines.push(`  ${verb.padEnd(16)}${cmd.summary}`);
  }
  lines.push('', 'Run `meshwork <command> --help` for the options of one command.');
  console.log(lines.join('\n'));
}

/** Entry point of the `meshwork` binary; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [verb = 'help', ...rest] = argv;
  if (verb === 'help' || verb === '--help' || verb === '-h') {
    await printHelp();
    return 0;
  }
  const cmd = await loadCommand(verb);
  if (!cmd) {
    console.error(`meshwork: unknown command "${verb}" (try: meshwork help)`);
    return 2;
  }
  return cmd.run(rest);
}
