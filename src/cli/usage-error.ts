// A command line the CLI cannot run (a missing argument, a bad flag): the CLI prints its message
// after 'momentum-wasm: ' and exits with status 2, with no stack trace.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
