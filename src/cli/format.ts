// Text output of the CLI: aligned tables, JSON with bigints as strings, colour only where wanted.

/** Whether to colour: a TTY, and NO_COLOR unset (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined;
}

export function bold(s: string, color = useColor()): string {
  return color ? `\x1b[1m${s}\x1b[0m` : s;
}

export function dim(s: string, color = useColor()): string {
  return color ? `\x1b[2m${s}\x1b[0m` : s;
}

/** Renders rows as a left-aligned table with a header; numbers and bigints are right-aligned. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || typeof r[i] === 'bigint' || r[i] === undefined));
  const line = (r: string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [bold(line(headers)), ...cells.map(line)].join('\n');
}

function cellText(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/**
 * JSON with bigints as strings (JSON has no 64-bit integers) and Buffers as hex. Commands that
 * print a result once indent it; the ones that print one per tick (watch, top, cilium drops) pass
 * indent 0, so that each tick is one line (JSON Lines).
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
        return Buffer.from((v as { data: number[] }).data).toString('hex');
      }
      return v;
    },
    indent,
  );
}

/** toJson on one line, a space inside braces and after each comma: how decoded map entries print as text. */
export function oneLine(value: unknown): string {
  return toJson(value).replace(/\s*\n\s*/g, ' ');
}

/** Formats a byte count the way humans read it. */
export function bytes(n: number | bigint | undefined): string {
  if (n === undefined) return '-';
  const v = Number(n);
  if (v < 1024) return `${v}B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(v < 10240 ? 1 : 0)}K`;
  return `${(v / 1024 / 1024).toFixed(1)}M`;
}
