// Output: tables and figures for people on stdout, progress notes on stderr, so that stdout stays a
// clean report whose last line is the machine-readable JSON.

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Progress while the benchmark runs ("starting nginx..."); not part of the report. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

type Cell = string | number | null | undefined;

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return 'n/a';
  return typeof cell === 'number' ? String(cell) : cell;
}

/** A plain-text table: first column left-aligned (labels), the rest right-aligned (numbers). */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  const text = [header, ...rows.map((row) => row.map(cellText))];
  const widths = header.map((_, column) => Math.max(...text.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  print();
  print(title);
  print(line(header));
  print(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of text.slice(1)) print(line(row));
}
