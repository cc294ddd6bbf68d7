// What to tell a person when the server cannot listen: which address and port, why, and the setting to
// change, instead of a raw stack trace from the socket layer.

export class ListenError extends Error {
  override name = 'ListenError';
}

/** A ListenError for the errors a person can act on; any other error is returned as it is. */
export function explainListenError(error: Error, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ListenError(
        `Port ${port} on ${host} is already in use (another Sightline, or another program). ` +
          `Stop that program, or choose another port with PORT, e.g. PORT=${port === 65_535 ? 8081 : port + 1} npm start.`,
      );
    case 'EACCES':
      return new ListenError(
        `Not allowed to listen on ${where}: ports below 1024 need privileges. Choose a port above 1023 with PORT (the default is 8080), and put a proxy in front for port 80 or 443.`,
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(
        `HOST=${host} is not an address of this machine. Use 127.0.0.1 (this machine only), 0.0.0.0 (every network), or one of its own addresses.`,
      );
    default:
      return error;
  }
}
