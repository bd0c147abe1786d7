/**
 * Shared by the verbs that parse flags with `node:util` `parseArgs`: a bad flag (unknown option,
 * missing value, bad duration) is a usage error, printed as one line with exit code 2.
 */
export function withUsageErrors(verb: string, execute: (argv: string[]) => Promise<number>) {
  return async function run(argv: string[]): Promise<number> {
    try {
      return await execute(argv);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('ERR_PARSE_ARGS') && !(err instanceof RangeError)) throw err;
      console.error(`meshwork ${verb}: ${(err as Error).message}`);
      return 2;
    }
  };
}
