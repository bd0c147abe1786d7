/**
 * The `meshwork` command line: one verb per subcommand, each in its own module.
 */
export async function main(argv: string[]): Promise<number> {
  const [verb = 'help'] = argv;
  switch (verb) {
    case 'help':
    case '--help':
    case '-h':
      console.log('usage: meshwork <up|proxy|control-plane|apply|get|delete|check> [options]');
      return 0;
    default:
      console.error(`meshwork: unknown command "${verb}" (try: meshwork help)`);
      return 2;
  }
}
